"""A citizen reports from a phone in a real headless Chromium: form -> API -> database, and the clear errors."""
import io
import re

import pytest
from PIL import Image

from tests.browser.conftest import INSIDE_HEILBRONN, OUTSIDE_HEILBRONN, connect_db


def _photo_with_gps() -> bytes:
    img = Image.new("RGB", (800, 600), (30, 90, 160))
    exif = Image.Exif()
    exif[0x010F] = "ACME Phone"
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (49.0, 8.0, 30.0), 3: "E", 4: (9.0, 13.0, 6.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _uploads(server):
    d = server.var / "uploads"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_a_report_goes_from_the_phone_form_into_the_database_with_a_photo(phone, live_server):
    phone.goto(live_server.url + "/melden")
    phone.get_by_role("button", name="Meinen Standort verwenden").click()
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('Ort gesetzt')")
    phone.set_input_files("#photos", files=[{"name": "wand.jpg", "mimeType": "image/jpeg",
                                             "buffer": _photo_with_gps()}])
    phone.wait_for_selector("#previews img")
    phone.get_by_text("Aufkleber / Plakat").click()
    phone.get_by_text("Beleidigender Inhalt").click()
    phone.fill("textarea[name=description]", "Hakenkreuz <b>am</b> Eingang")
    phone.fill("input[name=email]", "buerger@example.org")
    # Everything fits the phone's width: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="Meldung senden").click()
    phone.wait_for_selector("#done:not([hidden])")
    href = phone.get_attribute("#done-link", "href")
    token = re.fullmatch(r"/r/([\w-]+)", href).group(1)

    with connect_db(live_server) as conn:
        row = conn.execute(
            "SELECT id, category, offensive, description, reporter_email, source, priority, "
            "ST_Y(location), ST_X(location), status FROM reports WHERE token = %s", (token,)).fetchone()
        photos = conn.execute("SELECT filename, thumb_filename FROM photos WHERE report_id = %s",
                              (row[0],)).fetchall()
    assert row[1:7] == ("sticker", True, "Hakenkreuz <b>am</b> Eingang", "buerger@example.org", "web", 1)
    assert abs(row[7] - INSIDE_HEILBRONN["latitude"]) < 1e-5 and abs(row[8] - INSIDE_HEILBRONN["longitude"]) < 1e-5
    assert len(photos) == 1
    with Image.open(live_server.var / "uploads" / photos[0][0]) as stored:
        assert stored.size == (600, 800) and not stored.getexif()   # turned upright, metadata gone

    with phone.expect_navigation():
        phone.click("#done-link")
    # "new", or "duplicate" when the seeded demo city already has an open report on that building
    assert phone.inner_text("#status") == {"new": "Eingegangen", "duplicate": "Bereits gemeldet"}[row[9]]
    assert "buerger@example.org" not in phone.content() and "Hakenkreuz" not in phone.content()
    phone.wait_for_function("() => document.querySelector('.thumbs img').naturalWidth > 0")


@pytest.mark.parametrize("phone", [OUTSIDE_HEILBRONN], indirect=True)
def test_a_report_outside_the_city_shows_a_clear_error_and_stores_nothing(phone, live_server):
    with connect_db(live_server) as conn:
        before = conn.execute("SELECT count(*), (SELECT count(*) FROM photos) FROM reports").fetchone()
    files_before = _uploads(live_server)
    phone.goto(live_server.url + "/melden")
    phone.get_by_role("button", name="Meinen Standort verwenden").click()
    # The page warns as soon as the pin is outside ...
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('außerhalb')")
    phone.set_input_files("#photos", files=[{"name": "x.jpg", "mimeType": "image/jpeg", "buffer": _photo_with_gps()}])
    phone.get_by_role("button", name="Meldung senden").click()
    # ... and the server's answer names the city, next to the map and above the button.
    phone.wait_for_selector("#form-errors:not([hidden])")
    assert "außerhalb von Heilbronn" in phone.inner_text("#form-errors")
    assert "außerhalb von Heilbronn" in phone.inner_text(".field-error[data-field=location]")
    assert phone.is_hidden("#done")
    with connect_db(live_server) as conn:
        after = conn.execute("SELECT count(*), (SELECT count(*) FROM photos) FROM reports").fetchone()
    assert after == before and _uploads(live_server) == files_before


def test_the_form_speaks_english_one_tap_away(phone, live_server):
    phone.goto(live_server.url + "/melden")
    with phone.expect_navigation():
        phone.get_by_role("link", name="EN", exact=True).click()
    assert "Report graffiti or damage" in phone.inner_text("h1")
    phone.get_by_role("button", name="Use my location").click()
    phone.get_by_role("button", name="Send report").click()
    phone.wait_for_selector("#done:not([hidden]), #form-errors:not([hidden])")
    assert phone.is_visible("#done")   # graffiti is preselected: location + category are enough


def test_the_public_map_shows_reports_on_a_phone(phone, live_server):
    phone.goto(live_server.url + "/karte")
    phone.wait_for_function("() => Number(document.getElementById('public-map').dataset.features || 0) > 0")
    assert phone.locator(".leaflet-marker-icon, .leaflet-interactive").count() > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    text = phone.content()
    assert "@example" not in text


def test_without_browser_location_the_photo_position_places_the_pin(browser, live_server, request):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              permissions=[], locale="de-DE")   # geolocation not allowed
    page = ctx.new_page()
    request.node._page = page
    try:
        page.goto(live_server.url + "/melden")
        page.wait_for_function("() => document.getElementById('location-status').textContent.length > 0")
        page.set_input_files("#photos", files=[{"name": "gps.jpg", "mimeType": "image/jpeg",
                                                "buffer": _photo_with_gps()}])
        page.wait_for_function("() => document.getElementById('location-status').textContent.includes('aus dem Foto')")
        page.get_by_role("button", name="Meldung senden").click()
        page.wait_for_selector("#done:not([hidden])")
        token = page.get_attribute("#done-link", "href").rsplit("/", 1)[1]
        with connect_db(live_server) as conn:
            lat, lon = conn.execute("SELECT ST_Y(location), ST_X(location) FROM reports WHERE token = %s",
                                    (token,)).fetchone()
        # 49°8'30" N, 9°13'6" E from the photo's EXIF
        assert abs(lat - (49 + 8 / 60 + 30 / 3600)) < 1e-5 and abs(lon - (9 + 13 / 60 + 6 / 3600)) < 1e-5
    finally:
        ctx.close()


def test_a_flood_from_one_network_is_refused_with_a_clear_message(browser, live_server, request):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              geolocation=INSIDE_HEILBRONN, permissions=["geolocation"], locale="de-DE",
                              extra_http_headers={"X-Forwarded-For": "93.184.216.34"})
    page = ctx.new_page()
    request.node._page = page
    with connect_db(live_server) as conn:
        before = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    accepted = 0
    try:
        for _ in range(3):  # one report per hour and worker, two workers: the third at the latest is refused
            page.goto(live_server.url + "/melden")
            page.get_by_role("button", name="Meinen Standort verwenden").click()
            page.wait_for_function("() => document.getElementById('location-status').textContent.includes('Ort gesetzt')")
            page.get_by_role("button", name="Meldung senden").click()
            page.wait_for_selector("#done:not([hidden]), #form-errors:not([hidden])")
            if page.is_visible("#done"):
                accepted += 1
                continue
            errors = page.inner_text("#form-errors")
            assert "Zu viele Meldungen aus Ihrem Netz" in errors and "Minuten erneut" in errors
            assert "korrigieren" not in errors  # no field to correct
            break
        else:
            pytest.fail("three reports from one network within the hour were all accepted")
    finally:
        ctx.close()
    assert 1 <= accepted <= 2
    with connect_db(live_server) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == before + accepted
