"""What one photo upload may cost (issue #12, finding 3): the header decides before any pixel is decoded, and no
photo is decoded while another field is wrong. The worker's memory is measured in a subprocess."""
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from app.services.citizen import photos, validation
from tests.factories import NECKARSULM, post

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT_MIB = 100


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory) -> Path:
    """The probe's photo: 7000 x 7000 pixels of one colour, a PNG of about 190 KB."""
    path = tmp_path_factory.mktemp("photos") / "bomb.png"
    Image.new("RGB", (7000, 7000), (120, 130, 140)).save(path, "PNG")
    assert path.stat().st_size < 400_000
    return path


@pytest.fixture(scope="module")
def phone_jpeg(tmp_path_factory) -> Path:
    """A 12-megapixel phone photo (4032 x 3024) with some texture, which must still be accepted."""
    import numpy as np

    rng = np.random.default_rng(7)
    small = rng.integers(0, 255, (189, 252, 3), dtype=np.uint8)
    path = tmp_path_factory.mktemp("photos") / "phone.jpg"
    Image.fromarray(small).resize((4032, 3024), Image.Resampling.BILINEAR).save(path, "JPEG", quality=90)
    return path


def test_the_header_refuses_the_bomb_before_decoding(bomb_png):
    data = bomb_png.read_bytes()
    with pytest.raises(photos.PhotoError, match="Megapixel"):
        photos.check_photo(data)


def test_a_large_camera_jpeg_is_decoded_at_a_reduced_scale(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (8000, 6000), (90, 90, 90)).save(buf, "JPEG")  # 48 megapixels
    photos.check_photo(buf.getvalue())
    img = photos._open(buf.getvalue())
    assert img.width * img.height <= photos.MAX_DECODED_PIXELS and img.width >= photos.MAX_SIDE


def test_no_photo_is_decoded_while_a_field_is_wrong(app, client, monkeypatch):
    decoded = []
    real = photos.process_photo
    monkeypatch.setattr(validation, "process_photo", lambda raw, **kw: decoded.append(1) or real(raw, **kw))
    buf = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 10, 10)).save(buf, "PNG")
    resp = post(client, photos=[("p.png", buf.getvalue(), "image/png")], lat=str(NECKARSULM[0]),
                lon=str(NECKARSULM[1]))  # outside the city
    assert resp.status_code == 400 and decoded == []
    resp = post(client, photos=[("p.png", buf.getvalue(), "image/png")], category="no-such-category")
    assert resp.status_code == 400 and decoded == []
    assert post(client, photos=[("p.png", buf.getvalue(), "image/png")]).status_code == 201 and decoded == [1]


_MEASURE = textwrap.dedent("""
    import json, sys, time
    from app import create_app
    from tests.factories import MARKT
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "UPLOAD_DIR": sys.argv[3],
                      "MAIL_OUTBOX_DIR": sys.argv[3], "WTF_CSRF_ENABLED": False, "REPORT_RATE_LIMIT": "0"})
    data = open(sys.argv[2], "rb").read()
    mime = "image/png" if sys.argv[2].endswith(".png") else "image/jpeg"
    c = app.test_client()

    def send(payload):
        import io
        form = {"category": "graffiti", "lat": str(MARKT[0]), "lon": str(MARKT[1]),
                "photos": [(io.BytesIO(payload), "photo", mime)]}
        return c.post("/api/v1/reports", data=form, content_type="multipart/form-data")

    # warm up as a running worker is: imports, the database pool, and the face and plate detector, whose
    # buffers (sized for its 1280-pixel working copy, kept for the next photo) one photo of stored size sets up
    from PIL import Image
    import io, numpy as np
    warm = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    Image.fromarray(noise).resize((2048, 1536)).save(warm, "PNG" if mime == "image/png" else "JPEG")
    assert send(warm.getvalue()).status_code == 201

    def status_kib(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])

    # the peak from here on: Linux resets the process's peak RSS (VmHWM) to the current RSS on "5"
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_kib("VmRSS")
    start = time.perf_counter()
    resp = send(data)
    seconds = time.perf_counter() - start
    after = status_kib("VmHWM")
    print(json.dumps({"status": resp.status_code, "growth_mib": (after - before) / 1024, "seconds": seconds,
                      "body": resp.get_json()}))
""")


def _measure(app, photo: Path, tmp_path) -> dict:
    """Send `photo` from a fresh process on `app`'s database. The process commits for real, so `app` must be one
    with its own database (committing_app), never the session's shared one, whose reports other tests count."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _MEASURE, app.config["SQLALCHEMY_DATABASE_URI"], str(photo),
                          str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_7000_pixel_png_is_refused_within_the_memory_limit(committing_app, bomb_png, tmp_path):
    result = _measure(committing_app, bomb_png, tmp_path)
    assert result["status"] in (400, 413), result
    assert "Megapixel" in json.dumps(result["body"], ensure_ascii=False)
    assert result["growth_mib"] < MEMORY_LIMIT_MIB, result
    print(f"7000x7000 PNG: {result['status']}, +{result['growth_mib']:.1f} MiB, {result['seconds']:.3f} s")


def test_a_12_megapixel_phone_photo_is_stored_within_the_memory_limit(committing_app, phone_jpeg, tmp_path):
    result = _measure(committing_app, phone_jpeg, tmp_path)
    assert result["status"] == 201, result
    assert result["growth_mib"] < MEMORY_LIMIT_MIB, result
    print(f"12 MP JPEG: {result['status']}, +{result['growth_mib']:.1f} MiB, {result['seconds']:.3f} s")
