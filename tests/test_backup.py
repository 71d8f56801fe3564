"""Backup and restore of the database and the photos together: a round trip through scripts/backup.sh and
scripts/restore.sh into a new database and upload directory, served by the service afterwards."""
import os
import subprocess
from pathlib import Path

import pytest

from app import autocommit, create_app
from app.extensions import db
from tests.conftest import migrated_app
from tests.factories import MARKT, jpeg_bytes, offset, post

ROOT = Path(__file__).resolve().parents[1]


def _run(script, *args, **env):
    done = subprocess.run(["bash", str(ROOT / "scripts" / script), *map(str, args)], cwd=ROOT, text=True,
                          capture_output=True, timeout=300,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _close(application):
    with application.app_context():
        autocommit.dispose(application)
        db.engine.dispose()


@pytest.mark.slow
def test_a_backup_restored_into_a_new_database_serves_the_same_reports_and_photos(scratch_database, tmp_path):
    source_url = scratch_database()
    source = migrated_app(source_url, tmp_path / "source", SECRET_KEY="backup-test")
    client = source.test_client()
    photos = [jpeg_bytes(size=(80, 60), color=(40 * i, 90, 200)) for i in range(3)]
    tokens, ids = [], []
    for i, photo in enumerate(photos):
        lat, lon = offset(*MARKT, north_m=200 * i)
        resp = post(client, photos=[photo], lat=str(lat), lon=str(lon), headers={"Idempotency-Key": f"backup-{i}"})
        assert resp.status_code == 201, resp.get_json()
        tokens.append(resp.get_json()["token"])
        ids.append(resp.get_json()["id"])
    tokens.append(post(client, description="ohne Foto").get_json()["token"])
    before = {t: client.get(f"/api/v1/reports/{t}").get_json() for t in tokens}
    originals = {}
    for status in before.values():
        for photo in status["photos"]:
            for url in (photo["url"], photo["thumb_url"]):
                with client.get(url) as resp:
                    originals[url] = resp.data
    _close(source)
    uploads = Path(source.config["UPLOAD_DIR"])
    (uploads / ("f" * 64 + ".jpg")).write_bytes(b"a file no row references")   # e.g. a photo after the dump

    backup = tmp_path / "backup"
    _run("backup.sh", backup, DATABASE_URL=source_url, UPLOAD_DIR=uploads)
    assert {p.name for p in backup.iterdir()} == {"database.dump", "photos.tar", "backup.txt"}
    assert "reports: 4" in (backup / "backup.txt").read_text()

    target_url, restored_uploads = scratch_database(), tmp_path / "restored" / "uploads"
    _run("restore.sh", backup, DATABASE_URL=target_url, UPLOAD_DIR=restored_uploads, SECRET_KEY="backup-test",
         VAR_DIR=tmp_path / "restored")
    restored = create_app({"SQLALCHEMY_DATABASE_URI": target_url, "TESTING": True, "SECRET_KEY": "backup-test",
                           "UPLOAD_DIR": str(restored_uploads), "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
    c = restored.test_client()
    try:
        assert {t: c.get(f"/api/v1/reports/{t}").get_json() for t in tokens} == before
        for url, content in originals.items():
            with c.get(url) as resp:
                assert resp.status_code == 200 and resp.data == content
        assert not (restored_uploads / ("f" * 64 + ".jpg")).exists()     # the sweep removed the stray file
        # The idempotency keys came along with their request fingerprints: a retry is replayed, a reused key
        # with another request is refused; new reports go on after the restored ones.
        lat, lon = offset(*MARKT, north_m=0)
        again = post(c, photos=[photos[0]], lat=str(lat), lon=str(lon), headers={"Idempotency-Key": "backup-0"})
        assert again.get_json()["token"] == tokens[0]
        assert post(c, description="anders", headers={"Idempotency-Key": "backup-0"}).status_code == 422
        new = post(c)
        assert new.status_code == 201 and new.get_json()["id"] > max(ids)
    finally:
        _close(restored)
    # A restore never mixes with data that is there.
    refused = subprocess.run(["bash", str(ROOT / "scripts" / "restore.sh"), str(backup)], cwd=ROOT, text=True,
                             capture_output=True, env={**os.environ, "DATABASE_URL": target_url,
                                                       "UPLOAD_DIR": str(restored_uploads)})
    assert refused.returncode == 1 and "restore into a new, empty one" in refused.stderr
