"""Staff drag a frame on a report's photo in a real Chromium; the stored photo and its thumbnail are blurred."""
import re

from tests.browser.conftest import INSIDE_HEILBRONN, login
from tests.photo_samples import detail, encoded, skimage_photo


def test_staff_drag_a_frame_on_a_photo_and_it_is_blurred(desktop, live_server):
    page = desktop
    answer = page.request.post(live_server.url + "/api/v1/reports", multipart={
        "lat": str(INSIDE_HEILBRONN["latitude"]), "lon": str(INSIDE_HEILBRONN["longitude"] + 0.004),
        "category": "graffiti",
        "photos": {"name": "wall.png", "mimeType": "image/png", "buffer": encoded(skimage_photo("text"))}})
    assert answer.status == 201, answer.text()
    report_id = answer.json()["id"]
    login(page, live_server, "staff")
    page.goto(f"{live_server.url}/staff/jobs/{report_id}")
    page.click("text=Gesichter oder Kennzeichen unkenntlich machen")
    editor = page.locator(".blur-editor").first
    submit = editor.locator("button[type=submit]")
    assert submit.is_disabled()
    img = editor.locator(".blur-frame img")
    img.wait_for()
    old_src = img.get_attribute("src")
    box = img.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.8, steps=5)
    page.mouse.up()
    assert editor.locator(".blur-box").count() == 1
    x, y, w, h = (float(v) for v in editor.locator("input[name=box]").get_attribute("value").split(","))
    assert abs(x - 0.2) < 0.02 and abs(y - 0.2) < 0.02 and abs(w - 0.5) < 0.02 and abs(h - 0.6) < 0.02
    with page.expect_navigation():
        submit.click()
    assert "Der markierte Bereich ist jetzt unkenntlich." in page.inner_text(".flash")
    new_src = page.locator(".blur-editor .blur-frame img").first.get_attribute("src")
    assert new_src != old_src
    name = re.search(r"[0-9a-f]{64}\.jpg", new_src).group(0)
    from PIL import Image

    with Image.open(live_server.var / "uploads" / name) as stored:
        inside = (int(stored.width * 0.25), int(stored.height * 0.25), int(stored.width * 0.65),
                  int(stored.height * 0.75))
        assert detail(stored, inside) < 0.1 * detail(skimage_photo("text"), inside)
    assert not (live_server.var / "uploads" / re.search(r"[0-9a-f]{64}\.jpg", old_src).group(0)).exists()
