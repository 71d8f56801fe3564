"""Crew planning in a real Chromium: three crews from their depots on one map, every route's numbered stops
visible, no number hiding another or a depot (at two zooms), German and English, a phone without sideways
scrolling."""
from itertools import combinations

from tests.browser.conftest import login


def _boxes(frame, selector):
    return [b for b in (el.bounding_box() for el in frame.locator(selector).element_handles()) if b]


def _overlap(a, b, tolerance=1.0):
    return (a["x"] + a["width"] - tolerance > b["x"] and b["x"] + b["width"] - tolerance > a["x"]
            and a["y"] + a["height"] - tolerance > b["y"] and b["y"] + b["height"] - tolerance > a["y"])


def _check_map(frame, crews=3):
    frame.locator("body[data-decluttered]").wait_for(timeout=20000)
    stops = frame.locator(".stop-icon")
    labels = [stops.nth(i).get_attribute("data-label") for i in range(stops.count())]
    assert len(labels) >= 3 * crews and len(set(labels)) == len(labels)  # A1, A2 ... B1 ...: all distinct
    assert {lab[0] for lab in labels} == {"A", "B", "C"}
    for crew in range(crews):
        visible = [el for el in frame.locator(f".stop-icon[data-crew='{crew}']").element_handles() if el.is_visible()]
        assert visible, f"no visible stop of crew {crew}"
    assert frame.locator(".depot-icon").count() == 3
    boxes = _boxes(frame, ".stop-icon") + _boxes(frame, ".depot-icon")
    assert len(boxes) == len(labels) + 3
    hidden = [(a, b) for a, b in combinations(boxes, 2) if _overlap(a, b)]
    assert not hidden, hidden[:3]


def test_three_crews_on_one_map(desktop, live_server):
    page = desktop
    login(page, live_server, "staff")
    page.goto(live_server.url + "/staff/plans/new?propose=1&crews=3")
    assert page.locator(".crew-row").count() == 3
    assert page.locator("#proposal .tour").count() == 3
    for i in range(3):
        assert page.locator(f"#proposal .tour[data-crew='{i}'] li").count() >= 3
    assert page.get_attribute(".distances", "data-distances") == "straight"
    frame = page.frame_locator("iframe#plan-map")
    _check_map(frame)
    assert frame.locator("path.leaflet-interactive").count() >= 3  # the routes
    # zoomed out two steps, the markers crowd: still none hides another
    frame.locator(".leaflet-control-zoom-out").click()
    frame.locator(".leaflet-control-zoom-out").click()
    page.wait_for_timeout(800)
    _check_map(frame)

    # in English, and filtered to one category
    page.goto(live_server.url + "/staff/plans/new?propose=1&crews=3&category=graffiti&lang=en")
    assert "Crews" in page.inner_text("#plan-form legend")
    assert "straight line" in page.inner_text(".distances")
    rows = page.locator("table.candidates tbody tr").count()
    assert rows > 0 and "Graffiti" in page.inner_text("table.candidates tbody")


def test_planning_page_on_a_phone(phone, live_server):
    page = phone
    login(page, live_server, "staff")
    page.goto(live_server.url + "/staff/plans/new?propose=1&crews=3")
    page.frame_locator("iframe#plan-map").locator(".stop-icon").first.wait_for(timeout=20000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("iframe#plan-map").bounding_box()["width"] <= 390
