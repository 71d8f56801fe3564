"""The report form on a phone (360-390 px) in German and English: no pin until a position is known, touch
targets of at least 44 px, words broken only at syllables, every text in the reader's language."""
import pytest

from tests.browser.conftest import INSIDE_HEILBRONN, connect_db

# A line of text may end after a space, a soft hyphen (shown as "-"), a hyphen or a slash; anywhere else is a word
# broken in the middle ("Sachbeschä|digung").
MID_WORD_BREAKS_JS = """(selector) => {
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let top = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rects = range.getClientRects();
        if (!rects.length || !text[i].trim()) { continue; }
        const t = rects[rects.length - 1].top;   // a char after a soft hyphen also owns the "-" before it
        if (top !== null && t > top + 2 && i > 0 && !" \\u00ad-/".includes(text[i - 1])) {
          bad.push(text.slice(Math.max(0, i - 8), i) + "|" + text.slice(i, i + 8));
        }
        top = t;
      }
    }
  }
  return bad;
}"""

SMALL_TARGETS_JS = """(selector) => [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length)
  .map(e => [e.textContent.trim() || e.getAttribute("aria-label"), e.getBoundingClientRect()])
  .filter(([, r]) => r.width < 44 || r.height < 44).map(([name, r]) => `${name}: ${r.width}x${r.height}`)"""


def _phone(browser, request, lang: str, width: int, geolocation=None):
    ctx = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True,
                              locale="de-DE" if lang == "de" else "en-GB",
                              geolocation=geolocation, permissions=["geolocation"] if geolocation else [])
    page = ctx.new_page()
    request.node._page = page
    return ctx, page


@pytest.mark.parametrize(("lang", "width"), [("de", 360), ("en", 390)])
def test_without_a_position_there_is_no_pin_until_the_citizen_taps_the_map(browser, live_server, request,
                                                                             lang, width):
    ctx, page = _phone(browser, request, lang, width)   # location not allowed
    t = {"de": ("Der Standort konnte nicht ermittelt werden", "Tippen Sie auf die Stelle", "Ort gesetzt"),
         "en": ("Your location could not be found", "Tap the spot where the damage is", "Place set")}[lang]
    try:
        page.goto(f"{live_server.url}/melden?lang={lang}")
        page.wait_for_function("() => document.getElementById('location-status').classList.contains('warn')")
        assert t[0] in page.inner_text("#location-status")
        assert page.locator(".leaflet-marker-icon").count() == 0      # no pin pretending to be placed
        assert page.is_visible("#map-hint") and t[1] in page.inner_text("#map-hint")

        page.locator("#report-map").click(position={"x": width // 2 - 40, "y": 120})
        page.wait_for_function(f"() => document.getElementById('location-status').textContent.includes('{t[2]}')")
        assert page.locator(".leaflet-marker-icon").count() == 1
        assert not page.is_visible("#map-hint")
        assert "warn" not in (page.get_attribute("#location-status", "class") or "")
    finally:
        ctx.close()


@pytest.mark.parametrize(("lang", "width"), [("de", 360), ("de", 390), ("en", 360), ("en", 390)])
def test_the_form_fits_a_phone_breaks_words_at_syllables_and_has_large_touch_targets(browser, live_server,
                                                                                      request, lang, width):
    ctx, page = _phone(browser, request, lang, width, geolocation=INSIDE_HEILBRONN)
    try:
        page.goto(f"{live_server.url}/melden?lang={lang}")
        page.wait_for_selector(".leaflet-marker-icon")
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(MID_WORD_BREAKS_JS, ".choice span, h1, h2, .hint, label") == []
        if lang == "de":   # the longest category is broken at a syllable, with a hyphen
            tile = page.locator(".choice", has_text="Andere")
            assert tile.evaluate("e => e.textContent.includes('\\u00ad')")
        small = page.evaluate(SMALL_TARGETS_JS, ".lang a, .leaflet-control-zoom a, button, .button, .choice")
        assert small == []
    finally:
        ctx.close()


def test_every_text_of_the_form_and_its_footer_is_english_in_english(phone, live_server):
    phone.goto(live_server.url + "/melden?lang=en")
    phone.wait_for_selector(".leaflet-marker-icon")
    footer = phone.inner_text("footer")
    assert "City boundary" in footer and "data modified" in footer
    visible = phone.inner_text("body")
    for german in ("Stadtgrenze", "Daten verändert", "Karte:", "Tippen Sie", "Meldung senden", "Datenschutz"):
        assert german not in visible
    phone.goto(live_server.url + "/melden?lang=de")
    assert "Stadtgrenze" in phone.inner_text("footer")


@pytest.mark.parametrize(("lang", "width"), [("de", 390), ("en", 360)])
def test_the_address_search_is_a_keyboard_combobox_with_districts(browser, live_server, request, lang, width):
    ctx, page = _phone(browser, request, lang, width)
    try:
        page.goto(f"{live_server.url}/melden?lang={lang}")
        field = page.locator("#address")
        assert field.get_attribute("role") == "combobox" and field.get_attribute("aria-expanded") == "false"
        field.fill("Kaiser")
        page.wait_for_selector("#address-results [role=option]")
        assert field.get_attribute("aria-expanded") == "true"
        assert page.inner_text("#address-count").startswith(str(page.locator("#address-results [role=option]").count()))
        options = page.locator("#address-results [role=option]")
        shown = [(o.locator(".place").inner_text(), o.locator(".district").inner_text() if o.locator(".district").count()
                  else "") for o in options.all()]
        assert len(shown) == len(set(shown)) >= 2                  # de-duplicated: each place once per district
        streets = [d for label, d in shown if label == "Kaiserstraße"]
        assert len(streets) >= 2 and all(streets)                  # one street in several districts: told apart
        small = page.evaluate(SMALL_TARGETS_JS, "#address-results [role=option]")
        assert small == []

        def active():
            return field.get_attribute("aria-activedescendant")

        field.press("ArrowDown")
        assert active() == options.nth(0).get_attribute("id") and options.nth(0).get_attribute("aria-selected") == "true"
        field.press("ArrowDown")
        field.press("ArrowDown")
        field.press("ArrowUp")
        assert active() == options.nth(1).get_attribute("id")
        assert options.nth(0).get_attribute("aria-selected") == "false"
        field.press("Escape")
        assert page.is_hidden("#address-results") and field.get_attribute("aria-expanded") == "false"
        assert active() is None
        field.press("ArrowDown")                                   # opens the list again on the first option
        assert page.is_visible("#address-results") and active() == options.nth(0).get_attribute("id")
        field.press("ArrowDown")
        wanted = page.request.get(f"{live_server.url}/api/v1/addresses?q=Kaiser").json()["results"][1]
        field.press("Enter")                                       # takes the option, does not send the report
        page.wait_for_selector(".leaflet-marker-icon")
        assert field.input_value() == f"{wanted['label']}, {wanted['district']}"
        assert page.is_hidden("#address-results") and page.is_hidden("#done")
        pin = page.evaluate("""() => { const m = document.querySelector('.leaflet-marker-icon');
            return m && m.getAttribute('title'); }""")
        assert pin
        status = page.inner_text("#location-status")
        assert ("Ort gesetzt" if lang == "de" else "Place set") in status

        field.fill("Kaiserstr")                                    # and on a touch screen: a tap takes an option
        page.wait_for_selector("#address-results:not([hidden]) [role=option]")
        third = page.request.get(f"{live_server.url}/api/v1/addresses?q=Kaiserstr").json()["results"][2]
        options.nth(2).tap()
        taken = f"{third['label']}, {third['district']}"
        page.wait_for_function(f"() => document.getElementById('address').value === {taken!r}")
        assert page.is_hidden("#address-results") and page.is_hidden("#done")
    finally:
        ctx.close()


# An empty field inside Heilbronn (no building or report within 200 m of the demo city), so the two reports below
# are the only ones nearby and neither is recorded as a duplicate of the other.
EMPTY_FIELD = (49.1100, 9.1860)
METRES_LAT = 1 / 111_200


@pytest.mark.parametrize("lang", ["de", "en"])
def test_nearby_open_reports_are_numbered_pins_on_the_map_with_distance_and_direction(browser, live_server, request,
                                                                                        lang):
    import math

    lat0, lon0 = EMPTY_FIELD[0] + (0.0 if lang == "de" else 0.002), EMPTY_FIELD[1]
    metres_lon = METRES_LAT / math.cos(math.radians(lat0))
    ctx, page = _phone(browser, request, lang, 390, geolocation={"latitude": lat0, "longitude": lon0})
    try:
        for dlat, dlon in ((-25 * METRES_LAT, 0.0), (0.0, 30 * metres_lon)):   # 25 m south, 30 m east
            answer = page.request.post(live_server.url + "/api/v1/reports", multipart={
                "lat": f"{lat0 + dlat:.7f}", "lon": f"{lon0 + dlon:.7f}", "category": "sticker"})
            assert answer.status == 201 and answer.json()["status"] == "new", answer.text()
        page.goto(f"{live_server.url}/melden?lang={lang}")
        page.wait_for_selector("#nearby:not([hidden])")
        items = page.locator("#nearby-list .nearby-item").all_inner_texts()
        south, east = {"de": ("25 m südlich", "30 m östlich"), "en": ("25 m south", "30 m east")}[lang]
        assert len(items) == 2 and south in items[0] and east in items[1], items
        assert items[0].startswith("1") and items[1].startswith("2")
        pins = page.locator(".nearby-pin")
        assert pins.count() == 2 and pins.all_inner_texts() == ["1", "2"]
        # pin 1 lies below the citizen's pin (south), pin 2 to its right (east); the pins stand on the public
        # 25 m grid, so each may be up to 12.5 m (about 32 px at zoom 18) off in either axis
        me = page.locator(".leaflet-marker-icon:not(.nearby-pin)").bounding_box()
        tip_x, tip_y = me["x"] + me["width"] / 2, me["y"] + me["height"]
        one, two = pins.nth(0).bounding_box(), pins.nth(1).bounding_box()
        assert one["y"] + one["height"] / 2 > tip_y + 10
        assert two["x"] + two["width"] / 2 > tip_x + 10
        pins.nth(1).click()
        assert page.evaluate("document.activeElement.id") == "nearby-2"
    finally:
        ctx.close()


@pytest.mark.parametrize(("lang", "width"), [("de", 360), ("en", 390)])
def test_every_citizen_page_fits_the_phone_with_large_targets_in_the_readers_language(browser, live_server, request,
                                                                                      lang, width):
    with connect_db(live_server) as conn:
        token = conn.execute("SELECT token FROM reports WHERE duplicate_of_id IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    ctx, page = _phone(browser, request, lang, width, geolocation=INSIDE_HEILBRONN)
    # German words that would give away an untranslated text on an English page
    german = ("Meldung", "Karte", "Stadtgrenze", "Sie ", " und ", " der ", " die ", "Ort ", "Datenschutz")
    try:
        for path in ("/", "/melden", "/karte", f"/r/{token}", "/meine-meldungen"):
            page.goto(f"{live_server.url}{path}?lang={lang}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.lang") == lang
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            # every link, button and switch outside the map's attribution line is at least 44 x 44 px
            small = page.evaluate(SMALL_TARGETS_JS, "a:not(.leaflet-control-attribution a), button, summary")
            assert small == [], (path, small)
            assert page.evaluate(MID_WORD_BREAKS_JS, "header, main, footer") == [], path
            zoom = page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-zoom a')]
                .map(a => [a.getAttribute('aria-label'), a.title])""")
            if path in ("/melden", "/karte") or path.startswith("/r/"):   # Leaflet's own words translated too
                wanted = {"de": ["Vergrößern", "Verkleinern"], "en": ["Zoom in", "Zoom out"]}[lang]
                assert zoom == [[w, w] for w in wanted], (path, zoom)
            if lang == "en":
                text = page.inner_text("body")
                address = page.evaluate("() => (document.querySelectorAll('.facts dd')[1] || {}).textContent || ''")
                found = [w for w in german if w in text.replace(address, "")]
                assert found == [], (path, found)
    finally:
        ctx.close()
