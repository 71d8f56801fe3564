"""The photo pipeline: what is stored carries no metadata; bad files, bombs and oversize bodies store nothing."""
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image

from app.models import Photo, Report, StatusEvent
from tests.factories import MARKT, NECKARSULM, count, field_errors, gps_exif, jpeg_bytes, post


def uploads(app) -> set[str]:
    """Every file under the upload directory (published or temporary)."""
    d = Path(app.config["UPLOAD_DIR"])
    return {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()}


def stored_file(app, report_id) -> tuple[Photo, Path]:
    from sqlalchemy import select

    from app.extensions import db

    photo = db.session.scalars(select(Photo).where(Photo.report_id == report_id)).one()
    return photo, Path(app.config["UPLOAD_DIR"]) / photo.filename


def test_stored_photos_carry_no_exif_gps_or_camera_data(app, client):
    original = jpeg_bytes(size=(64, 48), exif=gps_exif(*MARKT, orientation=6))
    with Image.open(io.BytesIO(original)) as img:   # the upload really carries the metadata
        assert img.getexif().get_ifd(0x8825) and img.getexif()[0x013B] == "Erika Mustermann"
    body = post(client, photos=[original]).get_json()
    photo, path = stored_file(app, body["id"])
    raw = path.read_bytes()
    with Image.open(path) as img:
        assert img.format == "JPEG" and not img.getexif() and img.getexif().get_ifd(0x8825) == {}
        assert "exif" not in img.info and "icc_profile" not in img.info and "xmp" not in img.info
        assert img.size == (48, 64) == (photo.width, photo.height)   # EXIF orientation applied, then dropped
    for secret in (b"Exif", b"ACME", b"Mustermann", b"http://ns.adobe.com/xap"):
        assert secret not in raw
    assert photo.filename == hashlib.sha256(raw).hexdigest() + ".jpg" == photo.sha256 + ".jpg"
    with Image.open(Path(app.config["UPLOAD_DIR"]) / photo.thumb_filename) as thumb:
        assert not thumb.getexif() and max(thumb.size) <= 400
    with client.get(f"/media/{photo.filename}") as resp:
        assert resp.status_code == 200 and resp.data == raw and resp.mimetype == "image/jpeg"
        assert "immutable" in resp.headers["Cache-Control"]


def test_large_photos_are_bounded_to_2048_pixels(app, client):
    body = post(client, photos=[jpeg_bytes(size=(3000, 1000))]).get_json()
    photo, _path = stored_file(app, body["id"])
    assert (photo.width, photo.height) == (2048, 683)
    with Image.open(Path(app.config["UPLOAD_DIR"]) / photo.thumb_filename) as thumb:
        assert thumb.size == (400, 133)


def test_the_photo_position_is_used_when_the_browser_gives_none(client):
    lat, lon = 49.1450, 9.2200
    resp = post(client, lat=None, lon=None, photos=[jpeg_bytes(exif=gps_exif(lat, lon))])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["location_source"] == "photo"
    assert abs(body["location"]["lat"] - lat) < 1e-5 and abs(body["location"]["lon"] - lon) < 1e-5


def test_a_photo_position_outside_the_city_is_refused(client):
    resp = post(client, lat=None, lon=None, photos=[jpeg_bytes(exif=gps_exif(*NECKARSULM))])
    assert resp.status_code == 400 and "außerhalb von Heilbronn" in field_errors(resp)["location"]


def test_iphone_heic_and_transparent_png_are_accepted(app, client):
    heic = jpeg_bytes(size=(120, 80), fmt="HEIF", exif=gps_exif(*MARKT, orientation=6))
    png = jpeg_bytes(size=(50, 50), fmt="PNG", mode="RGBA", color=(0, 0, 0, 0))
    resp = post(client, photos=[("IMG_0001.HEIC", heic, "image/heic"), ("logo.png", png, "image/png")])
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["photos"] == 2
    from sqlalchemy import select

    from app.extensions import db

    sizes = db.session.execute(select(Photo.width, Photo.height).where(Photo.report_id == resp.get_json()["id"])
                               .order_by(Photo.id)).all()
    assert [tuple(s) for s in sizes] == [(80, 120), (50, 50)]


@pytest.mark.parametrize("name, content, words", [
    ("wall.jpg", b"<html><script>alert(1)</script></html>", "kein Foto"),
    ("wall.jpg", b"%PDF-1.4 not an image at all", "kein Foto"),
    ("wall.gif", b"GIF89a" + b"\x00" * 50, "kein Foto"),   # a real image type, but not one we accept
    ("empty.jpg", b"", "leer"),
])
def test_files_that_are_not_photos_are_refused_whatever_their_name(app, client, name, content, words):
    before = uploads(app)
    resp = post(client, photos=[(name, content, "image/jpeg")])
    assert resp.status_code == 400
    assert words in field_errors(resp)["photos"]
    assert count(Report) == 0 and count(Photo) == 0 and uploads(app) == before


def test_a_truncated_jpeg_is_refused(client):
    data = jpeg_bytes(size=(400, 300))
    resp = post(client, photos=[data[: len(data) // 2]])
    assert resp.status_code == 400 and "beschädigt" in field_errors(resp)["photos"]


def test_a_decompression_bomb_is_refused_quickly(app, client):
    buf = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buf, "PNG")      # 64 megapixels in a few kilobytes
    assert len(buf.getvalue()) < 100_000
    started = time.monotonic()
    resp = post(client, photos=[buf.getvalue()])
    assert resp.status_code == 400 and "zu groß" in field_errors(resp)["photos"]
    assert time.monotonic() - started < 2
    assert count(Report) == 0


def test_one_bad_photo_stores_nothing_at_all(app, client):
    before = uploads(app)
    resp = post(client, photos=[jpeg_bytes(color=(1, 2, 3)), ("b.jpg", b"nope", "image/jpeg")])
    assert resp.status_code == 400 and "Foto 2" in field_errors(resp)["photos"]
    assert count(Report) == 0 and count(Photo) == 0 and count(StatusEvent) == 0 and uploads(app) == before


def test_at_most_five_photos(client):
    resp = post(client, photos=[jpeg_bytes(color=(i, 0, 0)) for i in range(6)])
    assert resp.status_code == 400 and "Höchstens 5 Fotos" in field_errors(resp)["photos"]
    assert count(Report) == 0


def test_a_too_large_photo_is_413(app, client, monkeypatch):
    # (kept under 500 kB: werkzeug's test client leaks the temporary file of larger bodies)
    monkeypatch.setitem(app.config, "PHOTO_MAX_MB", 0.25)
    resp = post(client, photos=[b"\xff\xd8" + os.urandom(300_000)])
    assert resp.status_code == 413 and "zu groß" in field_errors(resp)["photos"]
    assert count(Report) == 0


def test_an_oversized_body_is_413_json(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200_000)
    resp = post(client, photos=[os.urandom(300_000)])
    assert resp.status_code == 413 and resp.get_json()["errors"][0]["message"]
    assert count(Report) == 0


def test_a_failure_after_the_insert_leaves_no_rows_and_no_files(app, client, monkeypatch):
    # In a transaction (here the test's own), a failure between the insert and the commit undoes both.
    # (Reports committed by their single statement: tests/test_citizen_autocommit.py.)
    from app.services.citizen import submission

    def broken(clean, row):
        raise RuntimeError("mail queue exploded")

    monkeypatch.setattr(submission, "received_mail", broken)
    before = uploads(app)
    resp = post(client, email="a@example.org", photos=[jpeg_bytes(color=(9, 9, 9))])
    assert resp.status_code == 500
    assert count(Report) == 0 and count(Photo) == 0 and count(StatusEvent) == 0 and uploads(app) == before


@pytest.mark.parametrize("name", ["..%2F..%2Fsecret_key", "a" * 64 + ".jpg", "0" * 64 + ".png", "index.html"])
def test_only_stored_content_addressed_photos_are_served(client, name):
    assert client.get(f"/media/{name}").status_code == 404

