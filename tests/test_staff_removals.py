"""Recording a removal: validation, the after-photo through the photo pipeline, the status change."""
import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Photo, Removal, Report
from app.services.core.workdays import local_today
from tests.factories import make_building, make_report


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_removal_with_after_photo(staff_client, app):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "removed_on": local_today().isoformat(), "crew": "Team Nord", "method": "pressure_washing",
        "area_m2": "3,5", "cost_eur": "145.50", "photo": (io.BytesIO(_jpeg()), "after.jpg")},
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    db.session.expire_all()
    fresh = db.session.get(Report, report.id)
    assert fresh.status == "removed" and fresh.removed_at is not None
    removal = db.session.scalar(select(Removal).where(Removal.report_id == report.id))
    assert (removal.crew, removal.method, float(removal.area_m2), float(removal.cost_eur)) == \
        ("Team Nord", "pressure_washing", 3.5, 145.5)
    photo = db.session.scalar(select(Photo).where(Photo.removal_id == removal.id))
    assert photo.kind == "after" and photo.width == 640
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert "after-photo" in page and "Team Nord" in page
    with staff_client.get(f"/staff/photos/{photo.thumb_filename}") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_bad_removal_input_is_400_with_every_problem_and_stores_nothing(staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "removed_on": (local_today() + timedelta(days=3)).isoformat(), "method": "magic", "area_m2": "-1",
        "cost_eur": "viel"}, headers={"Accept": "application/json"})
    assert resp.status_code == 400
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert fields == {"removed_on", "method", "area_m2", "cost_eur"}
    assert db.session.scalar(select(Removal).where(Removal.report_id == report.id)) is None
    assert db.session.get(Report, report.id).status == "scheduled"


def test_a_broken_photo_is_refused_and_nothing_is_kept(staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "method": "paint_over", "area_m2": "1", "cost_eur": "50", "photo": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["field"] == "photo"
    db.session.expire_all()
    assert db.session.scalar(select(Removal).where(Removal.report_id == report.id)) is None


def test_only_scheduled_jobs_can_be_recorded(staff_client):
    report = make_report(make_building(), status="verified")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "method": "paint_over", "area_m2": "1", "cost_eur": "50"}, headers={"Accept-Language": "en"})
    assert resp.status_code == 409 and "Schedule it first" in resp.get_data(as_text=True)


def test_the_default_removal_day_is_the_citys_day_not_the_servers(staff_client, monkeypatch):
    """At 23:30 UTC it is already the next day in Heilbronn; the form offers that day and accepts it."""
    from datetime import UTC, datetime

    from app.services.core import workdays

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 26, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(workdays, "datetime", Clock)
    assert workdays.local_today() == date(2026, 11, 27)
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert 'name="removed_on" value="2026-11-27"' in page
