"""Prevention in Chromium: staff register a measure by drawing its area on the map and open its evaluation; the
prevention coordinator reads it on a phone (no editing, no horizontal scrolling)."""
import re

from tests.browser.conftest import connect_db, login


def _draw_square(page, half_px: int = 18):
    box = page.locator("#measure-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-half_px, -half_px), (half_px, -half_px), (half_px, half_px), (-half_px, half_px)):
        page.mouse.click(cx + dx, cy + dy)


def test_staff_register_a_measure_on_the_map_and_open_its_evaluation(desktop, live_server, browser):
    page = desktop
    login(page, live_server, "staff")
    page.goto(live_server.url + "/prevention/")
    page.get_by_role("link", name="Maßnahme erfassen").click()
    page.wait_for_selector("#measure-map .leaflet-container, #measure-map.leaflet-container")
    page.select_option("select[name=kind]", "coating")
    page.fill("input[name=title]", "Beschichtung Rathaus <b>Ost</b>")
    page.fill("input[name=start_on]", "2025-11-01")
    page.fill("input[name=cost_eur]", "12.500,00".replace(".", ""))
    page.fill("input[name=office]", "Gebäudemanagement")
    # without an area the form comes back with the message at the map and everything typed kept
    page.get_by_role("button", name="Speichern").click()
    assert page.locator("#area-error").is_visible()
    assert page.input_value("input[name=title]") == "Beschichtung Rathaus <b>Ost</b>"
    page.wait_for_selector("#measure-map.leaflet-container")
    _draw_square(page)
    assert page.locator("#map-status").inner_text().startswith("Punkte: 4")
    assert '"Polygon"' in page.input_value("#area")
    page.get_by_role("button", name="Gebäude wählen").click()
    box = page.locator("#measure-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.getElementById('map-status').textContent.indexOf('Punkte') < 0 || "
                           "document.getElementById('building_ids').value !== ''")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/prevention/measures/\d+$"))
    assert page.locator("h1").inner_text() == "Beschichtung Rathaus <b>Ost</b>"   # shown as text, not markup
    measure_id = int(page.url.rsplit("/", 1)[1])
    with connect_db(live_server) as conn:
        kind, area_m2, cost, events = conn.execute(
            "SELECT kind, ST_Area(ST_Transform(area, 25832)), cost_eur, "
            "(SELECT count(*) FROM measure_events e WHERE e.measure_id = m.id) FROM measures m WHERE id = %s",
            (measure_id,)).fetchone()
    assert kind == "coating" and 50_000 < area_m2 < 4_000_000 and float(cost) == 12500 and events == 1
    page.get_by_role("link", name="Auswertung öffnen").click()
    page.wait_for_url(re.compile(rf"/prevention/measures/{measure_id}/evaluation$"))
    text = page.locator("main").inner_text()
    assert "Maßnahmengebiet" in text and "Vergleichsgebiet" in text
    assert "Relative Effektstärke" in text or "Zu wenige Vorfälle für eine Beurteilung." in text
    assert "Kosten und vermiedene Entfernungskosten" in text

    # the prevention coordinator on a phone: reads, cannot edit, nothing wider than the screen
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                              locale="de-DE")
    phone = ctx.new_page()
    phone.goto(live_server.url + "/login")
    phone.fill("input[name=email]", "prevention@example.org")
    phone.fill("input[name=password]", "demo-password")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/prevention/$"))
    for path in ("/prevention/", f"/prevention/measures/{measure_id}", f"/prevention/measures/{measure_id}/evaluation",
                 "/prevention/report"):
        phone.goto(live_server.url + path)
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    phone.goto(live_server.url + f"/prevention/measures/{measure_id}")
    assert phone.get_by_role("link", name="Ändern").count() == 0
    assert phone.goto(live_server.url + f"/prevention/measures/{measure_id}/edit").status == 403
    ctx.close()
