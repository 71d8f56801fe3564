"""Staff in a real Chromium: overview map, queue, crew-day planning map, scheduling, removal with after-photo."""
import io

from PIL import Image

from tests.browser.conftest import login, record_removal


def test_staff_plans_a_day_and_records_a_removal(desktop, live_server, tmp_path):
    page = desktop
    login(page, live_server, "staff")

    # overview: the map loads clusters for the visible area from the API (not embedded in the page)
    page.goto(live_server.url + "/staff/")
    page.wait_for_selector("#overview-map[data-loaded]", timeout=20000)
    assert page.get_attribute("#overview-map", "data-mode") == "clusters"
    assert page.locator(".job-cluster").count() > 0
    html = page.content()
    assert "leaflet.js" in html

    # queue
    page.click("text=Eingang")
    page.wait_for_selector("table.queue tbody tr[data-job]")
    assert page.locator("table.queue tbody tr[data-job]").count() > 5

    # planning: pick two jobs, save; the jobs become scheduled and the folium map shows two numbered stops
    page.click("text=Tagesplanung")
    page.click("text=Neuen Tagesplan erstellen")
    boxes = page.locator("#plan-form input[name=jobs]")
    assert boxes.count() >= 2
    first_job = boxes.nth(0).get_attribute("value")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.fill("#plan-form input[name=crew]", "Team E2E")
    page.click("#plan-form button.primary")
    page.wait_for_selector("iframe.planmap")
    assert "Team E2E" in page.inner_text("h1")
    frame = page.frame_locator("iframe.planmap")
    frame.locator(".stop-icon").first.wait_for(timeout=20000)
    assert frame.locator(".stop-icon").count() == 2
    assert frame.locator("path.leaflet-interactive").count() >= 1  # the route line
    assert page.locator("ol.stops li").count() == 2

    # the job is scheduled; record the removal with an after-photo
    page.goto(f"{live_server.url}/staff/jobs/{first_job}")
    assert page.inner_text(".job-status") == "Entfernung geplant"
    photo = tmp_path / "after.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 180, 170)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())
    record_removal(page, "Team E2E", "pressure_washing", "2,5", "120", photo)
    assert page.inner_text(".job-status") == "Entfernt"
    assert page.evaluate("document.querySelector('img.after-photo').naturalWidth") > 0
    history = page.inner_text("table.history")
    assert "e2e-staff@example.org" in history and "Entfernt" in history
