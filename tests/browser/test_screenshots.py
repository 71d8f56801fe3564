"""Screenshots a person can look at: the citizen form on a phone, the staff planning map, the police hotspot map.

`make screenshots` runs these (and saves every browser test's last page too); the files land in
test-output/screenshots/.
"""
from PIL import Image

from tests.browser.conftest import SCREENSHOT_DIR, login


def _save(page, name, **kw):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), **kw)
    with Image.open(path) as img:
        assert img.width >= 300 and img.height >= 300
        # not a blank page: a real screenshot has many colours
        assert len(img.convert("RGB").resize((64, 64)).getcolors(4096) or []) > 20
    return path


def test_screenshot_citizen_form_on_a_phone(phone, live_server):
    phone.goto(live_server.url + "/melden")
    phone.get_by_role("button", name="Meinen Standort verwenden").click()
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('Ort gesetzt')")
    phone.fill("textarea[name=description]", "Tag am Eingang")
    path = _save(phone, "citizen_form_phone", full_page=True)
    with Image.open(path) as img:
        assert img.width == 390 * 2  # the phone viewport at device scale 2


def test_screenshot_staff_planning_map(desktop, live_server):
    login(desktop, live_server, "staff")
    desktop.goto(live_server.url + "/staff/plans/new?propose=1")   # the most urgent jobs that fit a shift
    assert desktop.locator("#plan-form input[name=jobs]:checked").count() >= 2
    desktop.fill("#plan-form input[name=crew]", "Team Screenshot")
    desktop.click("#plan-form button.primary")
    desktop.wait_for_selector("iframe.planmap")
    frame = desktop.frame_locator("iframe.planmap")
    frame.locator(".stop-icon").first.wait_for(timeout=20000)
    desktop.wait_for_timeout(500)
    _save(desktop, "staff_planning_map", full_page=True)


def test_screenshot_police_hotspot_map(desktop, live_server):
    login(desktop, live_server, "police")
    desktop.goto(live_server.url + "/police/")
    desktop.wait_for_selector("iframe.policemap")
    desktop.frame_locator("iframe.policemap").locator(".leaflet-control-layers").wait_for(timeout=20000)
    desktop.wait_for_timeout(500)
    _save(desktop, "police_hotspot_map", full_page=True)
