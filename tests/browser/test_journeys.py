"""End-to-end journeys across audiences in a real headless Chromium (issue 7).

One citizen reports offensive graffiti from a phone; staff verify, plan and remove exactly that job; the
citizen's status page shows the change. Police open the hotspot map, toggle its layers and export GeoJSON.
"""
import json
import re
from pathlib import Path

import pytest

from tests.browser.conftest import connect_db, jpeg, login, record_removal


def _report_id(server, token: str) -> int:
    with connect_db(server) as conn:
        return conn.execute("SELECT id FROM reports WHERE token = %s", (token,)).fetchone()[0]


def _quiet_building(server) -> dict:
    """A point on a municipal building with no open report within 60 m, so the new report is a fresh job."""
    with connect_db(server) as conn:
        lat, lon = conn.execute("""
            SELECT ST_Y(p), ST_X(p) FROM buildings b CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.footprint) p) s
            WHERE b.owner_type = 'municipal' AND NOT EXISTS (
                SELECT 1 FROM reports r WHERE r.status IN ('new', 'verified', 'scheduled', 'notify_owner')
                  AND ST_DWithin(r.location_m, b.footprint_m, 60))
            ORDER BY b.id LIMIT 1""").fetchone()
    return {"latitude": lat, "longitude": lon}


@pytest.fixture
def citizen(browser, live_server, request):
    """A phone at a quiet municipal building, geolocation granted."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              geolocation=_quiet_building(live_server), permissions=["geolocation"],
                              locale="de-DE")
    page = ctx.new_page()
    request.node._page = page
    yield page
    ctx.close()


def _citizen_reports(phone, server) -> str:
    """The citizen's part: German form, my location, a photo, offensive graffiti, send; returns the token."""
    phone.goto(server.url + "/melden")
    assert phone.evaluate("document.documentElement.lang") == "de"
    phone.get_by_role("button", name="Meinen Standort verwenden").click()
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('Ort gesetzt')")
    phone.set_input_files("#photos", files=[{"name": "wand.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    phone.wait_for_selector("#previews img")
    phone.get_by_text("Beleidigender Inhalt").click()
    phone.get_by_role("button", name="Meldung senden").click()
    phone.wait_for_selector("#done:not([hidden])")
    with phone.expect_navigation():
        phone.click("#done-link")
    token = re.search(r"/r/([\w-]+)", phone.url).group(1)
    assert "Eingegangen" in phone.inner_text("#status")
    with phone.expect_navigation():
        phone.get_by_role("link", name="EN", exact=True).click()
    assert "Received" in phone.inner_text("#status")
    return token


def test_citizen_report_is_verified_planned_and_removed_by_staff(citizen, desktop, live_server, tmp_path):
    phone = citizen
    token = _citizen_reports(phone, live_server)
    job_id = _report_id(live_server, token)

    page = desktop
    login(page, live_server, "staff")
    page.goto(live_server.url + "/staff/queue?per_page=500")
    page.wait_for_selector("table.queue tbody tr[data-job]")
    # the new offensive job is in the queue, near the top (most urgent first)
    assert page.locator(f"table.queue tbody tr[data-job='{job_id}']").count() == 1
    page.locator(f"table.queue tbody tr[data-job='{job_id}'] a").first.click()
    page.wait_for_url(re.compile(rf"/staff/jobs/{job_id}$"))

    page.click("button[data-to=verified]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text(".job-status") == "Geprüft"

    page.goto(live_server.url + "/staff/plans/new")
    page.check(f"#job-{job_id}")
    others = page.locator(f"#plan-form input[name=jobs]:not(#job-{job_id})")
    others.nth(0).check()
    page.fill("#plan-form input[name=crew]", "Team Journey")
    page.click("#plan-form button.primary")
    page.wait_for_selector("iframe.planmap")
    frame = page.frame_locator("iframe.planmap")
    frame.locator(".stop-icon").first.wait_for(timeout=20000)
    assert frame.locator(".stop-icon").count() == 2                   # numbered stops
    assert frame.locator(".leaflet-tile-pane, .leaflet-overlay-pane").count() >= 1  # Leaflet panes present
    assert frame.locator("path.leaflet-interactive").count() >= 1    # route line and footprints
    assert sorted(frame.locator(".stop-icon").all_inner_texts()) == ["1", "2"]

    page.goto(f"{live_server.url}/staff/jobs/{job_id}")
    assert page.inner_text(".job-status") == "Entfernung geplant"
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg((190, 190, 185)))
    record_removal(page, "Team Journey", "paint_over", "3", "95,50", photo)
    assert page.inner_text(".job-status") == "Entfernt"

    # the citizen's status page shows the change (in the language the citizen chose)
    phone.goto(f"{live_server.url}/r/{token}")
    assert "Removed" in phone.inner_text("#status")
    assert "Team Journey" not in phone.content() and "e2e-staff" not in phone.content()


def test_police_hotspot_map_layers_and_geojson_export(desktop, live_server):
    page = desktop
    login(page, live_server, "police")
    page.goto(live_server.url + "/police/")
    form = page.locator("form.filters").first
    form.locator("input[name=from]").fill("2025-01-01")
    form.locator("input[name=to]").fill("2026-12-31")
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    page.wait_for_selector("iframe.policemap")
    frame = page.frame_locator("iframe.policemap")
    frame.locator(".leaflet-control-layers").wait_for(timeout=20000)
    toggles = frame.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    assert toggles.count() >= 3                                     # clusters, Gi* cells, heat, tags ...
    labels = " ".join(frame.locator(".leaflet-control-layers-overlays label").all_inner_texts())
    assert "DBSCAN" in labels or "Cluster" in labels
    assert "Gi*" in labels
    frame.locator(".leaflet-control-layers").hover()
    map_frame = next(f for f in page.frames if "/police/map" in f.url)
    layers = "Object.values(window).filter(v => v instanceof L.Map).map(m => Object.keys(m._layers).length)[0]"
    before = map_frame.evaluate(layers)
    checked = [i for i in range(toggles.count()) if toggles.nth(i).is_checked()]
    assert checked, "some overlay is on at first"
    for i in checked:                                                # every shown layer can be switched off ...
        toggles.nth(i).uncheck()
    assert map_frame.evaluate(layers) < before
    for i in checked:                                                # ... and on again
        toggles.nth(i).check()
    assert map_frame.evaluate(layers) == before

    with page.expect_download() as info:
        page.locator("li", has_text="Vorfälle").get_by_role("link", name="GeoJSON").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) > 0
