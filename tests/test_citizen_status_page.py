"""The citizen's status page tells the story: local times in German and English, the approximate place, the
after-removal photo, plural forms; and it runs no inline script."""
import io
import re
from datetime import UTC, datetime

from sqlalchemy import update

from app.extensions import db
from app.models import Confirmation, Report, StatusEvent
from app.services.core.workdays import local_today
from tests.factories import MARKT, make_building, make_report, offset, post
from tests.photo_samples import encoded, skimage_photo

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


def page(client, report, lang="de"):
    resp = client.get(f"/r/{report.token}?lang={lang}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def visible(html: str) -> str:
    """The page's text as a reader sees it (no tags, no attributes)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def at(report, moment: datetime):
    """Pretend the report and its history happened at `moment` (UTC)."""
    db.session.execute(update(Report).where(Report.id == report.id).values(created_at=moment, updated_at=moment))
    db.session.execute(update(StatusEvent).where(StatusEvent.report_id == report.id).values(created_at=moment))
    db.session.commit()


def test_times_are_the_citys_local_time_around_midnight_in_german_and_english(client):
    report = make_report(make_building())
    db.session.commit()
    # 23:30 UTC on 28 March 2026 is already 00:30 on the 29th in Heilbronn (CET, UTC+1) ...
    at(report, datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    german, english = visible(page(client, report)), visible(page(client, report, "en"))
    assert "29. März 2026, 00:30" in german and "28. März" not in german and "23:30" not in german
    assert "March 29, 2026, 12:30 AM" in english and "March 28" not in english
    assert 'datetime="2026-03-28T23:30:00+00:00"' in page(client, report)   # the machine-readable moment
    # ... and 22:15 UTC on 30 June is 00:15 on 1 July in summer time (CEST, UTC+2).
    at(report, datetime(2026, 6, 30, 22, 15, tzinfo=UTC))
    german, english = visible(page(client, report)), visible(page(client, report, "en"))
    assert german.count("1. Juli 2026, 00:15") == 2 and "30. Juni" not in german   # reported, and the history
    assert "July 1, 2026, 12:15 AM" in english


def test_confirmations_are_counted_in_the_right_plural_form(client):
    report = db.session.get(Report, post(client).get_json()["id"])
    db.session.add(Confirmation(report_id=report.id))
    db.session.commit()
    assert "1 Bestätigung<" in page(client, report) and "1 confirmation<" in page(client, report, "en")
    db.session.add(Confirmation(report_id=report.id))
    db.session.commit()
    assert "2 Bestätigungen<" in page(client, report) and "2 confirmations<" in page(client, report, "en")
    lat, lon = offset(*MARKT, east_m=4)
    dup = post(client, lat=str(lat), lon=str(lon)).get_json()
    assert dup["duplicate_of"] == report.id
    text = page(client, db.session.get(Report, dup["id"]))
    assert "Stand der ersten Meldung" in text and "(3 Bestätigungen)" in text   # two "I see it too", one duplicate


def test_the_status_page_shows_the_approximate_place_on_a_small_map_without_inline_scripts(client):
    lat, lon = 49.141834, 9.218567
    report = make_report(lat=lat, lon=lon)
    db.session.commit()
    text = page(client, report)
    assert 'id="status-map"' in text and 'data-lat="49.1418"' in text and 'data-lon="9.2186"' in text
    assert "49.141834" not in text and "9.218567" not in text                  # never the exact position
    assert "/static/js/status-map.js" in text and "/static/vendor/leaflet/leaflet.js" in text
    assert "Ungefährer Ort (Kreis von etwa 25 m)" in text
    assert "Approximate place (a circle of about 25 m)" in page(client, report, "en")
    assert not INLINE_SCRIPT.search(text)


def test_the_after_removal_photo_is_shown_also_on_the_duplicates_page(app, client, staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    lat, lon = offset(*MARKT, north_m=3)
    dup = db.session.get(Report, post(client, lat=str(lat), lon=str(lon)).get_json()["id"])
    assert dup.duplicate_of_id == report.id
    assert "Nach der Entfernung" not in page(client, report)
    day = local_today()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", content_type="multipart/form-data", data={
        "removed_on": day.isoformat(), "method": "paint_over", "area_m2": "2", "cost_eur": "80",
        "photo": (io.BytesIO(encoded(skimage_photo("brick"), "JPEG")), "after.jpg")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    for r in (report, dup):
        text = page(client, r)
        assert "Nach der Entfernung" in text
        thumb = re.search(r'<ul class="thumbs after">.*?src="(/media/[0-9a-f]{64}_t\.jpg)"', text, re.S).group(1)
        with client.get(thumb) as resp:
            assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert "After the removal" in page(client, report, "en")
    body = client.get(f"/api/v1/reports/{report.token}").get_json()
    assert len(body["after_photos"]) == 1 and body["after_photos"][0]["removed_on"] == day.isoformat()
