"""Photo files match their rows: staged, published after the commit, kept for other attempts, swept, disk full."""
import io
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from PIL import Image

from app.extensions import db
from app.models import Photo, Report
from app.services.citizen.photo_files import PENDING, StagedPhotos, referenced_photo_names, sweep
from app.services.citizen.photos import process_photo
from tests.factories import count, jpeg_bytes, post

HOUR = 3600


def files(directory) -> set[str]:
    """Every file under `directory`, relative to it."""
    d = Path(directory)
    return {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()} if d.exists() else set()


def noise_jpeg(side=600, seed=1) -> bytes:
    """A photo that JPEG cannot shrink much (random pixels)."""
    img = Image.frombytes("RGB", (side, side), np.random.default_rng(seed).integers(0, 255, side * side * 3,
                                                                                      dtype=np.uint8).tobytes())
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    return buf.getvalue()



# -- staging and publishing (files only) -----------------------------------------------------------------

def test_staged_files_are_published_only_when_asked_and_temporary_ones_go(tmp_path):
    photo = process_photo(jpeg_bytes(size=(40, 30)))
    staged = StagedPhotos(tmp_path)
    stored = staged.add(photo)
    assert stored.filename == f"{photo.sha256}.jpg" and (stored.width, stored.height) == (40, 30)
    assert not (tmp_path / stored.filename).exists()            # nothing under the final name yet
    assert len(files(tmp_path / PENDING)) == 2
    staged.publish()
    assert files(tmp_path) == {stored.filename, stored.thumb_filename}
    assert (tmp_path / stored.filename).read_bytes() == photo.jpeg


def test_a_failed_attempt_never_removes_a_file_another_attempt_published(tmp_path):
    photo = process_photo(jpeg_bytes(size=(40, 30)))
    first, second = StagedPhotos(tmp_path), StagedPhotos(tmp_path)
    first.add(photo)
    second.add(photo)
    second.publish()            # the retry commits and publishes ...
    first.discard()             # ... the first attempt fails afterwards
    assert files(tmp_path) == {photo.filename, photo.thumb_filename}


# -- the sweep ---------------------------------------------------------------------------------------------

def _stage_and_leave(directory, photo):
    staged = StagedPhotos(directory)
    staged.add(photo)
    staged.abandon()


def test_the_sweep_links_pending_files_of_committed_rows_and_drops_the_rest_after_the_grace(tmp_path):
    committed, lost = process_photo(jpeg_bytes(color=(1, 1, 1))), process_photo(jpeg_bytes(color=(2, 2, 2)))
    for p in (committed, lost):
        _stage_and_leave(tmp_path, p)
    rows = {committed.filename, committed.thumb_filename}
    result = sweep(tmp_path, lambda names: rows & set(names), grace_seconds=HOUR)
    assert sorted(result.linked) == sorted(rows) and not result.removed_pending
    assert files(tmp_path) - {f for f in files(tmp_path) if f.startswith(PENDING)} == rows
    # an hour later the temporary files are gone; so are those of the lost attempt
    result = sweep(tmp_path, lambda names: rows & set(names), grace_seconds=HOUR, now=time.time() + HOUR + 1)
    assert files(tmp_path) == rows and len(result.removed_pending) == 2


def test_the_sweep_removes_published_files_no_row_references_only_after_the_grace(tmp_path):
    kept, orphan = process_photo(jpeg_bytes(color=(3, 3, 3))), process_photo(jpeg_bytes(color=(4, 4, 4)))
    for p in (kept, orphan):
        s = StagedPhotos(tmp_path)
        s.add(p)
        s.publish()
    rows = {kept.filename, kept.thumb_filename}
    sweep(tmp_path, lambda names: rows & set(names), grace_seconds=HOUR)
    assert len(files(tmp_path)) == 4                          # young files are left alone
    result = sweep(tmp_path, lambda names: rows & set(names), grace_seconds=HOUR, now=time.time() + HOUR + 1)
    assert files(tmp_path) == rows
    assert sorted(result.removed_published) == sorted([orphan.filename, orphan.thumb_filename])


def test_a_file_referenced_while_the_sweep_looks_is_put_back(tmp_path):
    photo = process_photo(jpeg_bytes(color=(5, 5, 5)))
    s = StagedPhotos(tmp_path)
    s.add(photo)
    s.publish()
    answers = iter([set(), {photo.filename, photo.thumb_filename}])   # a commit lands between the two looks

    def referenced(names):
        return next(answers) & set(names)

    result = sweep(tmp_path, referenced, grace_seconds=0, now=time.time() + 1)
    assert files(tmp_path) == {photo.filename, photo.thumb_filename} and not result.removed_published


def test_the_database_says_which_names_rows_reference(app, client):
    body = post(client, photos=[jpeg_bytes(color=(6, 6, 6))]).get_json()
    photo = db.session.query(Photo).filter_by(report_id=body["id"]).one()
    names = [photo.filename, photo.thumb_filename, "0" * 64 + ".jpg"]
    assert referenced_photo_names(names) == {photo.filename, photo.thumb_filename}
    assert referenced_photo_names(names, chunk=1) == {photo.filename, photo.thumb_filename}


def test_flask_sweep_photos_links_and_removes(app, runner):
    upload = Path(app.config["UPLOAD_DIR"])
    orphan = process_photo(jpeg_bytes(color=(8, 8, 8)))
    _stage_and_leave(upload, orphan)
    result = runner.invoke(args=["sweep-photos", "--grace-minutes", "0"])
    assert result.exit_code == 0, result.output
    assert "2 unneeded temporary files" in result.output
    assert not [f for f in files(upload) if orphan.sha256 in f]


# -- real requests on a committing database ---------------------------------------------------------------

def _admin(app):
    return psycopg.connect(app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""), autocommit=True)


def _waiting_pids(admin, n, timeout=20):
    """The pids of the backends waiting on a lock, once there are `n` (in the order they started waiting)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = [r[0] for r in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "ORDER BY query_start").fetchall()]
        if len(pids) >= n:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"expected {n} waiting requests")


def _post_in_thread(app, results, name, photo, key):
    def run():
        with app.app_context():
            results[name] = post(app.test_client(), photos=[photo], headers={"Idempotency-Key": key})
    t = threading.Thread(target=run)
    t.start()
    return t


def test_a_cancelled_attempt_does_not_take_the_photo_of_the_retry_that_committed(committing_app):
    """The issue's case: attempt 1 has written its files and waits on the key; the phone retries with the
    same key; attempt 1 is cancelled. The retry's report must keep its photo."""
    app, key, photo = committing_app, "cancel-and-retry", noise_jpeg(200, seed=11)
    results = {}
    with _admin(app) as admin, _admin(app) as holder:
        holder.execute("BEGIN")   # someone holds the key (an earlier attempt still running)
        holder.execute("INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
                       "VALUES (%s, 'POST /api/v1/reports', 0, '{}', NULL)", (key,))
        first = _post_in_thread(app, results, "first", photo, key)
        [first_pid] = _waiting_pids(admin, 1)
        retry = _post_in_thread(app, results, "retry", photo, key)
        _waiting_pids(admin, 2)
        admin.execute("SELECT pg_cancel_backend(%s)", (first_pid,))
        first.join(30)
        holder.execute("ROLLBACK")
        retry.join(30)
    assert results["first"].status_code == 503
    assert results["retry"].status_code == 201, results["retry"].get_json()
    token = results["retry"].get_json()["token"]
    client = app.test_client()
    status = client.get(f"/api/v1/reports/{token}").get_json()
    [shown] = status["photos"]
    for url in (shown["url"], shown["thumb_url"]):
        with client.get(url) as resp:
            assert resp.status_code == 200
    assert not files(Path(app.config["UPLOAD_DIR"]) / PENDING)   # both attempts cleaned up after themselves


def test_a_connection_lost_mid_request_leaves_no_files_and_no_traceback(committing_app, caplog):
    app, key, photo = committing_app, "terminated", noise_jpeg(200, seed=12)
    upload = Path(app.config["UPLOAD_DIR"])
    before = files(upload)
    results = {}
    with _admin(app) as admin, _admin(app) as holder:
        holder.execute("BEGIN")
        holder.execute("INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
                       "VALUES (%s, 'POST /api/v1/reports', 0, '{}', NULL)", (key,))
        attempt = _post_in_thread(app, results, "attempt", photo, key)
        [pid] = _waiting_pids(admin, 1)
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        attempt.join(30)
        holder.execute("ROLLBACK")
    assert results["attempt"].status_code == 503
    assert files(upload) == before
    assert not [r for r in caplog.records if r.exc_info or r.levelname in ("ERROR", "CRITICAL")], \
        [r.getMessage() for r in caplog.records]
    assert post(app.test_client(), photos=[photo], headers={"Idempotency-Key": key}).status_code == 201


def test_a_retry_with_the_key_brings_back_files_of_an_unknown_outcome(committing_app):
    """When a commit's acknowledgement is lost, the files stay pending; the retry's replay publishes its own."""
    app, photo = committing_app, jpeg_bytes(color=(12, 34, 56))
    first = post(app.test_client(), photos=[photo], headers={"Idempotency-Key": "lost-ack"})
    assert first.status_code == 201
    upload = Path(app.config["UPLOAD_DIR"])
    with app.app_context():
        names = [(p.filename, p.thumb_filename) for p in
                 db.session.query(Photo).filter(Photo.report_id == first.get_json()["id"])][0]
        db.session.remove()
    for name in names:            # as if the first attempt had died between its commit and publishing
        (upload / name).unlink()
    again = post(app.test_client(), photos=[photo], headers={"Idempotency-Key": "lost-ack"})
    assert again.get_json()["token"] == first.get_json()["token"]
    assert all((upload / name).exists() for name in names)


# -- a full disk --------------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (needs root: `make test` runs as root in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system for the full-disk test needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def _fill(mount: Path, leave: int) -> Path:
    """Fill the file system up to `leave` free bytes."""
    filler = mount / "filler"
    st = os.statvfs(mount)
    filler.write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


@pytest.mark.parametrize("lang, words", [("de", "Speicher für Fotos ist gerade voll"), ("en", "storage for photos")])
def test_a_full_disk_is_a_507_that_says_so_and_leaves_nothing(app, client, small_disk, monkeypatch, lang, words):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(small_disk / "uploads"))
    photo = noise_jpeg(450, seed=21)   # under 500 kB: the test client keeps the body in memory
    processed = process_photo(photo)
    # Room for the photo but not for its thumbnail: the file written first must go as well.
    filler = _fill(small_disk, len(processed.jpeg) + 4096 + len(processed.thumb) // 4)
    before = count(Report)
    resp = post(client, photos=[photo], headers={"Accept-Language": lang})
    assert resp.status_code == 507 and words in resp.get_json()["errors"][0]["message"]
    assert count(Report) == before and files(small_disk / "uploads") == set()
    filler.unlink()
    assert post(client, photos=[photo]).status_code == 201     # with room again, the same report goes through
