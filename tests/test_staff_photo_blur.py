"""Staff blur what the detector missed: boxes drawn on a job's photo are blurred into it, thumbnail included."""
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Photo
from tests.factories import post
from tests.photo_samples import detail, encoded, skimage_photo


def report_with_photo(client, name="text"):
    body = post(client, photos=[encoded(skimage_photo(name))]).get_json()
    return body, db.session.scalars(select(Photo).where(Photo.report_id == body["id"])).one()


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=int)


def test_a_box_drawn_by_staff_is_blurred_into_the_photo_and_its_thumbnail(app, client, staff_client):
    body, photo = report_with_photo(client)
    upload = Path(app.config["UPLOAD_DIR"])
    old_name, old_thumb = photo.filename, photo.thumb_filename
    before = pixels(upload / old_name)
    with Image.open(upload / old_name) as img:
        box = (img.width // 4, img.height // 4, img.width * 3 // 4, img.height * 3 // 4)
        detail_before = detail(img, box)
    with Image.open(upload / old_thumb) as thumb:
        thumb_box = (thumb.width // 4, thumb.height // 4, thumb.width * 3 // 4, thumb.height * 3 // 4)
        thumb_detail_before = detail(thumb, thumb_box)

    page = staff_client.get(f"/staff/jobs/{body['id']}").get_data(as_text=True)
    assert f"/staff/photos/{photo.id}/blur" in page and "js/photo_blur.js" in page and "<script>" not in page

    resp = staff_client.post(f"/staff/photos/{photo.id}/blur", data={"box": "0.25,0.25,0.5,0.5"})
    assert resp.status_code == 302 and resp.location.endswith(f"/staff/jobs/{body['id']}#photo-blur")
    db.session.expire_all()
    photo = db.session.get(Photo, photo.id)
    assert photo.filename != old_name and photo.thumb_filename != old_thumb
    assert not (upload / old_name).exists() and not (upload / old_thumb).exists()   # nothing unblurred is kept
    with Image.open(upload / photo.filename) as img:
        assert detail(img, box) < 0.1 * detail_before
    with Image.open(upload / photo.thumb_filename) as thumb:
        assert detail(thumb, thumb_box) < 0.25 * thumb_detail_before
    after = pixels(upload / photo.filename)
    outside = np.ones(before.shape[:2], dtype=bool)
    outside[box[1] - 16:box[3] + 16, box[0] - 16:box[2] + 16] = False
    assert np.abs(after - before)[outside].mean() < 2     # the rest only re-encoded
    assert client.get(f"/media/{old_name}").status_code == 404
    with client.get(f"/media/{photo.filename}") as resp:
        assert resp.status_code == 200
    status_page = client.get(f"/r/{body['token']}").get_data(as_text=True)
    assert photo.thumb_filename in status_page and old_thumb not in status_page
    assert "Der markierte Bereich ist jetzt unkenntlich." in staff_client.get(
        f"/staff/jobs/{body['id']}").get_data(as_text=True)


def test_every_report_with_the_same_photo_gets_the_blurred_one(app, client, staff_client):
    first, photo = report_with_photo(client, "brick")
    data = encoded(skimage_photo("brick"))
    other = post(client, photos=[data], lat="49.1500", lon="9.2300").get_json()
    twin = db.session.scalars(select(Photo).where(Photo.report_id == other["id"])).one()
    assert twin.sha256 == photo.sha256
    resp = staff_client.post(f"/staff/photos/{photo.id}/blur", data={"box": ["0.1,0.1,0.2,0.2", "0.6,0.6,0.3,0.3"]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Photo, twin.id).filename == db.session.get(Photo, photo.id).filename
    assert "Die 2 markierten Bereiche sind jetzt unkenntlich." in staff_client.get(
        f"/staff/jobs/{first['id']}").get_data(as_text=True)
    page = staff_client.get(f"/staff/jobs/{first['id']}?lang=en").get_data(as_text=True)
    assert "Blur faces or number plates" in page


def test_bad_boxes_are_refused_with_a_message_and_change_nothing(app, client, staff_client):
    _body, photo = report_with_photo(client)
    name = photo.filename
    for boxes, words in (([], "mindestens einen Rahmen"), (["1.2,0,0.5,0.5"], "nicht auf dem Foto"),
                         (["a,b,c,d"], "kein Rahmen"), (["0.1,0.1,0.0001,0.5"], "nicht auf dem Foto"),
                         (["0.1,0.1,0.1,0.1"] * 31, "Höchstens 30")):
        resp = staff_client.post(f"/staff/photos/{photo.id}/blur", data={"box": boxes},
                                 headers={"Accept": "application/json"})
        assert resp.status_code == 400 and words in resp.get_json()["errors"][0]["message"]
    resp = staff_client.post(f"/staff/photos/{photo.id}/blur", data={"box": "2,2,2,2"},
                             headers={"Accept-Language": "en", "Accept": "application/json"})
    assert resp.get_json()["errors"][0]["message"] == "A frame lies outside the photo. Please drag it again."
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).filename == name
    assert (Path(app.config["UPLOAD_DIR"]) / name).exists()
    assert staff_client.post("/staff/photos/999999/blur", data={"box": "0.1,0.1,0.2,0.2"}).status_code == 404


def test_only_staff_may_blur(client, police_client):
    _body, photo = report_with_photo(client)
    assert police_client.post(f"/staff/photos/{photo.id}/blur", data={"box": "0.1,0.1,0.2,0.2"}).status_code == 403
    assert client.post(f"/staff/photos/{photo.id}/blur", data={"box": "0.1,0.1,0.2,0.2"}).status_code == 302
