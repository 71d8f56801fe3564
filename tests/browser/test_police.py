"""Police in Chromium: the hotspot map renders offline with layers and legend; contact access is logged."""
import psycopg
from sqlalchemy.engine import make_url

from tests.browser.conftest import login


def _conninfo(url):
    u = make_url(url)
    return psycopg.conninfo.make_conninfo(host=u.host or "", port=u.port or 5432, user=u.username or "",
                                          password=u.password or "", dbname=u.database)


def test_hotspot_map_renders_layers_and_figures_without_a_cdn(desktop, live_server):
    external = []
    desktop.on("request", lambda r: external.append(r.url) if not r.url.startswith((live_server.url, "data:"))
               and "tile.openstreetmap.org" not in r.url else None)
    errors = []
    desktop.on("pageerror", lambda e: errors.append(str(e)))
    login(desktop, live_server, "police")
    desktop.goto(live_server.url + "/police/")
    frame = desktop.frame_locator("iframe.policemap")
    frame.locator(".leaflet-control-layers").wait_for(timeout=30000)
    assert frame.locator(".police-legend").inner_text().count("%") >= 6  # the six Gi* classes
    layers = frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert any("Gi*" in t for t in layers) and any("DBSCAN" in t for t in layers)
    assert any("Kerndichte (Bandbreite 150 m)" in t for t in layers)
    # The monthly slider appears when its layer is switched on.
    frame.locator("label", has_text="Monatsverlauf").locator("input").check()
    frame.locator(".police-slider input[type=range]").wait_for()
    assert "PAI" in desktop.inner_text("main") and desktop.locator("[data-figure=rri]").inner_text()
    assert external == [] and errors == []


def test_contact_data_only_on_request_and_logged_for_admins(desktop, live_server, browser):
    with psycopg.connect(_conninfo(live_server.database_url)) as conn:
        rid, email = conn.execute("SELECT id, reporter_email FROM reports WHERE reporter_email IS NOT NULL "
                                  "ORDER BY id LIMIT 1").fetchone()
    login(desktop, live_server, "police")
    desktop.goto(f"{live_server.url}/police/reports/{rid}")
    assert email not in desktop.inner_text("main")
    desktop.fill("input[name=reason]", "Az 4711/26")
    desktop.click("text=Kontaktdaten anzeigen")
    assert email in desktop.locator("[data-contact]").inner_text()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
    admin = ctx.new_page()
    try:
        login(admin, live_server, "admin")
        admin.goto(live_server.url + "/police/access-log")
        text = admin.inner_text("main")
        assert "e2e-police@example.org" in text and "Az 4711/26" in text
    finally:
        ctx.close()
