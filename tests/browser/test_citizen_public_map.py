"""The public map on a phone in German and English: points and groups in the legend's status colours, a
category filter, and "report here" from a tapped spot into the report form."""
import pytest

from tests.browser.conftest import connect_db

OPEN, DONE = "rgb(179, 0, 27)", "rgb(46, 125, 50)"   # the legend's colours, #b3001b and #2e7d32

# A spot of the map (container coordinates) at least 60 px from every report and group, so a tap there hits the
# map itself.
FREE_SPOT_JS = """() => {
  const box = document.getElementById('public-map').getBoundingClientRect();
  const taken = [...document.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive')]
    .map(e => e.getBoundingClientRect()).map(r => [r.x + r.width / 2, r.y + r.height / 2]);
  for (let y = 120; y < box.height - 60; y += 20) {
    for (let x = 90; x < box.width - 40; x += 20) {
      const px = box.x + x, py = box.y + y;
      if (taken.every(([tx, ty]) => Math.hypot(tx - px, ty - py) > 60)) { return {x, y}; }
    }
  }
  return null;
}"""


def _map_phone(browser, request, lang):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              locale="de-DE" if lang == "de" else "en-GB",
                              geolocation={"latitude": 49.1418, "longitude": 9.2185}, permissions=["geolocation"])
    page = ctx.new_page()
    request.node._page = page
    return ctx, page


@pytest.mark.parametrize("lang", ["de", "en"])
def test_points_and_groups_wear_the_legends_colours_and_the_categories_filter_them(browser, live_server, request,
                                                                                    lang):
    ctx, page = _map_phone(browser, request, lang)
    try:
        with page.expect_response(lambda r: "/api/v1/reports?bbox=" in r.url) as answer:
            page.goto(f"{live_server.url}/karte?lang={lang}")
        features = answer.value.json()["features"]
        page.wait_for_function("() =>  Number(document.getElementById('public-map').dataset.features || 0) > 0")
        assert int(page.get_attribute("#public-map", "data-features")) == len(features)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        legend = page.evaluate("""() => ['.dot-open', '.dot-done'].map(s =>
            getComputedStyle(document.querySelector('.legend ' + s)).backgroundColor)""")
        assert legend == [OPEN, DONE]

        groups = page.evaluate("""() => [...document.querySelectorAll('.map-group')].map(g => ({
            n: Number(g.textContent), open: Number(g.dataset.open), bg: getComputedStyle(g).backgroundImage}))""")
        points = page.evaluate("""() => [...document.querySelectorAll('path.leaflet-interactive')]
            .map(p => p.getAttribute('fill'))""")
        assert groups and sum(g["n"] for g in groups) + len(points) == len(features)
        assert set(points) <= {"#b3001b", "#2e7d32"}
        for g in groups:   # a group shows its share of open (red) and finished (green) reports as a pie
            red_until = round(360 * g["open"] / g["n"])
            assert g["bg"] == (f"conic-gradient({OPEN} 0deg, {OPEN} {red_until}deg, {DONE} {red_until}deg, "
                               f"{DONE} 360deg)"), g
        assert {g["open"] > 0 for g in groups} >= {True}
        assert sum(g["open"] for g in groups) + points.count("#b3001b") == sum(f["properties"]["open"]
                                                                            for f in features)
        assert not page.locator(".marker-cluster-small, .marker-cluster-medium, .marker-cluster-large").count()

        page.get_by_role("checkbox", name="Graffiti", exact=True).uncheck()
        others = [f for f in features if f["properties"]["category"] != "graffiti"]
        page.wait_for_function(f"() =>  document.getElementById('public-map').dataset.features === '{len(others)}'")
        assert len(others) < len(features)
        page.locator("#show-done").uncheck()
        still = [f for f in others if f["properties"]["open"]]
        page.wait_for_function(f"() =>  document.getElementById('public-map').dataset.features === '{len(still)}'")
        count = page.inner_text("#map-count")
        assert str(len(still)) in count and ("Meldungen" if lang == "de" else "reports") in count
        small = page.evaluate("""() => [...document.querySelectorAll('.map-filters label, .leaflet-control-zoom a')]
            .map(e => e.getBoundingClientRect()).filter(r => r.height < 44 || r.width < 44).length""")
        assert small == 0
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_report_here_opens_the_form_at_the_tapped_spot_and_stores_it_there(browser, live_server, request, lang):
    ctx, page = _map_phone(browser, request, lang)
    try:
        page.goto(f"{live_server.url}/karte?lang={lang}")
        page.wait_for_function("() =>  Number(document.getElementById('public-map').dataset.features || 0) > 0")
        spot = page.evaluate(FREE_SPOT_JS)
        assert spot
        page.locator("#public-map").click(position=spot)
        link = page.get_by_role("link", name={"de": "Hier melden", "en": "Report here"}[lang])
        link.wait_for()
        box = link.bounding_box()
        assert box["height"] >= 44
        close = page.locator(".report-here .leaflet-popup-close-button")
        assert close.get_attribute("aria-label") == {"de": "Schließen", "en": "Close"}[lang]
        assert close.bounding_box()["height"] >= 44
        href = link.get_attribute("href")
        query = dict(part.split("=") for part in href.split("?", 1)[1].split("&"))
        lat, lon = float(query["lat"]), float(query["lon"])
        link.click()
        page.wait_for_url("**/melden?*")
        taken = {"de": "Ort von der Karte übernommen", "en": "Place taken from the map"}[lang]
        page.wait_for_function(f"() =>  document.getElementById('location-status').textContent.includes('{taken}')")
        assert page.locator(".leaflet-marker-icon").count() == 1
        page.wait_for_timeout(500)   # the phone's own position (granted) must not move the pin
        assert taken in page.inner_text("#location-status")
        page.locator("#submit").click()
        page.wait_for_selector("#done:not([hidden])")
        token = page.get_attribute("#done-link", "href").rsplit("/", 1)[1]
        with connect_db(live_server) as conn:
            stored = conn.execute("SELECT ST_Y(location), ST_X(location) FROM reports WHERE token = %s",
                                  (token,)).fetchone()
        assert abs(stored[0] - lat) < 1e-6 and abs(stored[1] - lon) < 1e-6
    finally:
        ctx.close()
