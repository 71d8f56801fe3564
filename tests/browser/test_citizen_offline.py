"""The installable web app in a real headless Chromium at phone size: a report made without a network waits on
the phone (IndexedDB) through a reload, is delivered once when the network is back, and is listed under
"my reports on this phone"; a 503 outage is waited out the same way; Chromium finds the app installable."""
import json
import shutil
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, INSIDE_HEILBRONN, OUTSIDE_HEILBRONN, connect_db, jpeg

TEXTS = {
    "de": {"locate": "Meinen Standort verwenden", "located": "Ort gesetzt", "send": "Meldung senden",
           "queued": "Keine Verbindung", "waiting": "Wartet auf Netz", "server": "Server gerade nicht erreichbar",
           "view": "Status ansehen", "mine": "Meine Meldungen", "offline": "zuletzt bekannten Stand"},
    "en": {"locate": "Use my location", "located": "Place set", "send": "Send report",
           "queued": "No connection", "waiting": "Waiting for network", "server": "The server cannot be reached",
           "view": "View status", "mine": "My reports", "offline": "last known status"},
}
# A new report is "new", or "duplicate" when the demo city already has an open one on that building.
STATUS = {"de": {"new": "Eingegangen", "duplicate": "Bereits gemeldet"},
          "en": {"new": "Received", "duplicate": "Already reported"}}


def _stored(server, description: str) -> list[tuple]:
    """(token, status, photo count) of every report with this description."""
    with connect_db(server) as conn:
        return conn.execute("SELECT r.token, r.status, (SELECT count(*) FROM photos p WHERE p.report_id = r.id) "
                            "FROM reports r WHERE r.description = %s", (description,)).fetchall()


def _phone(browser, lang: str, **kwargs):
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                               has_touch=True, geolocation=INSIDE_HEILBRONN, permissions=["geolocation"],
                               locale={"de": "de-DE", "en": "en-GB"}[lang], **kwargs)


def _fill_report(page, t: dict, description: str) -> None:
    page.get_by_role("button", name=t["locate"]).click()
    page.wait_for_function(f"() => document.getElementById('location-status').textContent.includes('{t['located']}')")
    page.set_input_files("#photos", files=[{"name": "wand.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 40, 90))}])
    page.wait_for_selector("#previews img")
    page.fill("textarea[name=description]", description)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_report_made_offline_waits_on_the_phone_through_a_reload_and_is_delivered_once(
        browser, live_server, request, lang):
    t = TEXTS[lang]
    description = f"offline {lang} {uuid.uuid4().hex}"
    ctx = _phone(browser, lang)
    page = ctx.new_page()
    request.node._page = page
    try:
        page.goto(f"{live_server.url}/melden?lang={lang}")
        # The service worker has installed (the page and its scripts are kept) and controls the page.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        _fill_report(page, t, description)

        ctx.set_offline(True)
        page.get_by_role("button", name=t["send"]).click()
        page.wait_for_selector("#outbox:not([hidden])")
        assert t["queued"] in page.inner_text("#outbox-intro")
        assert t["waiting"] in page.inner_text("#outbox-list")
        assert page.is_hidden("#report-form") and page.is_hidden("#done")
        assert _stored(live_server, description) == []

        page.reload()   # still offline: the page comes from the service worker's cache
        assert page.evaluate("document.documentElement.lang") == lang
        page.wait_for_selector("#outbox-list .outbox-item")
        assert t["waiting"] in page.inner_text("#outbox-list")
        assert page.evaluate("ReportOutbox.pending().then(l => l.length)") == 1
        assert _stored(live_server, description) == []

        ctx.set_offline(False)   # the `online` event (and Background Sync) send it
        link = page.wait_for_selector("#outbox-list a[href^='/r/']", timeout=20000)
        assert link.inner_text() == t["view"]
        token = link.get_attribute("href").rsplit("/", 1)[1]
        page.wait_for_timeout(1500)   # any second sender (Background Sync) has had its chance
        rows = _stored(live_server, description)
        assert [(r[0], r[2]) for r in rows] == [(token, 1)]   # one report, one photo
        assert page.evaluate("ReportOutbox.pending().then(l => l.length)") == 0

        # "My reports" from the start page: the report with its status; offline, the last known one.
        page.goto(f"{live_server.url}/")
        with page.expect_navigation():
            page.get_by_role("link", name=t["mine"], exact=True).click()
        item = page.wait_for_selector(f".my-report[data-token='{token}']")
        status_label = STATUS[lang][rows[0][1]]
        page.wait_for_function(f"() => document.querySelector(\".my-report[data-token='{token}'] .status\")"
                               f".textContent === {status_label!r}")
        assert item.query_selector(f"a[href='/r/{token}']").inner_text() == t["view"]
        ctx.set_offline(True)
        page.reload()
        page.wait_for_selector(f".my-report[data-token='{token}'] .stale:not([hidden])")
        assert t["offline"] in page.inner_text("#my-reports-status")
        assert status_label in page.inner_text(f".my-report[data-token='{token}']")
    finally:
        ctx.close()


def test_a_503_outage_is_waited_out_with_the_same_key_and_the_status_link_then_shows(browser, live_server, request):
    t = TEXTS["en"]
    description = f"outage {uuid.uuid4().hex}"
    keys = []

    def outage(route):   # the reliability helper's outage answer: 503 with Retry-After, the first time only
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                          body='{"errors": [{"field": null, "message": "database unavailable"}]}')
        else:
            route.continue_()

    ctx = _phone(browser, "en", service_workers="block")   # the page alone keeps and resends it
    page = ctx.new_page()
    request.node._page = page
    try:
        page.route("**/api/v1/reports", outage)
        page.goto(f"{live_server.url}/melden?lang=en")
        _fill_report(page, t, description)
        page.get_by_role("button", name=t["send"]).click()
        page.wait_for_selector("#outbox:not([hidden])")
        assert t["server"] in page.inner_text("#outbox-intro")
        page.wait_for_selector("#done:not([hidden])", timeout=15000)   # retried after Retry-After: 1 s
        token = page.get_attribute("#done-link", "href").rsplit("/", 1)[1]
        assert page.is_hidden("#outbox")
        assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
        assert [(r[0], r[2]) for r in _stored(live_server, description)] == [(token, 1)]

        with page.expect_navigation():
            page.get_by_role("link", name="My reports on this phone").click()
        page.wait_for_selector(f".my-report[data-token='{token}'] a[href='/r/{token}']")
    finally:
        ctx.close()


def test_a_report_left_waiting_is_sent_on_the_next_visit(browser, live_server, request):
    t = TEXTS["de"]
    description = f"next visit {uuid.uuid4().hex}"
    # No worker, no Background Sync: the visit alone sends it. A phone in another time zone: times shown are
    # the city's all the same.
    ctx = _phone(browser, "de", service_workers="block", timezone_id="America/New_York")
    page = ctx.new_page()
    request.node._page = page
    try:
        page.goto(f"{live_server.url}/melden")
        _fill_report(page, t, description)
        ctx.set_offline(True)
        page.get_by_role("button", name=t["send"]).click()
        page.wait_for_selector("#outbox:not([hidden])")
        shown = page.inner_text("#outbox-list .outbox-item strong")
        berlin = datetime.now(ZoneInfo("Europe/Berlin"))
        assert f"{berlin.day}. " in shown and any(f"{(berlin - timedelta(minutes=m)):%H:%M}" in shown for m in (0, 1))
        page.close()   # the citizen leaves; nothing of that page runs any more
        ctx.set_offline(False)
        assert _stored(live_server, description) == []

        page = ctx.new_page()
        request.node._page = page
        page.goto(f"{live_server.url}/meine-meldungen")
        token = page.wait_for_selector(".my-report[data-token]").get_attribute("data-token")
        assert [(r[0], r[2]) for r in _stored(live_server, description)] == [(token, 1)]
        assert page.evaluate("ReportOutbox.pending().then(l => l.length)") == 0
    finally:
        ctx.close()


def test_a_queued_report_the_server_refuses_later_is_shown_with_its_reason_and_can_be_discarded(
        browser, live_server, request):
    t = TEXTS["de"]
    description = f"refused {uuid.uuid4().hex}"
    ctx = _phone(browser, "de")
    ctx.set_geolocation(OUTSIDE_HEILBRONN)   # the page warns, but without a network only the server decides
    page = ctx.new_page()
    request.node._page = page
    try:
        page.goto(f"{live_server.url}/melden")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.get_by_role("button", name=t["locate"]).click()
        page.wait_for_function("() => document.getElementById('location-status').textContent.length > 0")
        page.fill("textarea[name=description]", description)
        ctx.set_offline(True)
        page.get_by_role("button", name=t["send"]).click()
        page.wait_for_selector("#outbox:not([hidden])")
        page.reload()
        page.wait_for_selector("#outbox-list .outbox-item")
        ctx.set_offline(False)
        refusal = page.wait_for_selector("#outbox-list .field-error", timeout=20000)
        assert "Nicht angenommen" in refusal.inner_text() and "außerhalb von Heilbronn" in refusal.inner_text()
        page.get_by_role("button", name="Verwerfen").click()
        page.wait_for_selector("#outbox", state="hidden")
        assert page.evaluate("ReportOutbox.pending().then(l => l.length)") == 0
        assert _stored(live_server, description) == []
    finally:
        ctx.close()


def test_chromium_finds_the_web_app_installable(browser, live_server, tmp_path, request):
    # A profile on disk: Chromium never offers to install from an incognito-like context (Playwright's default).
    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
        args=CHROMIUM_ARGS, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB")
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        request.node._page = page
        page.goto(live_server.url + "/")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest") and not manifest["errors"]
        assert json.loads(manifest["data"])["short_name"] == "Report graffiti"   # in the browser's language
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        ctx.close()
