"""The report form on a phone (360-390 px) in German and English: no pin until a position is known, touch
targets of at least 44 px, words broken only at syllables, every text in the reader's language."""
import pytest

from tests.browser.conftest import INSIDE_HEILBRONN

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
        page.wait_for_function("document.getElementById('location-status').classList.contains('warn')")
        assert t[0] in page.inner_text("#location-status")
        assert page.locator(".leaflet-marker-icon").count() == 0      # no pin pretending to be placed
        assert page.is_visible("#map-hint") and t[1] in page.inner_text("#map-hint")

        page.locator("#report-map").click(position={"x": width // 2 - 40, "y": 120})
        page.wait_for_function(f"document.getElementById('location-status').textContent.includes('{t[2]}')")
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
