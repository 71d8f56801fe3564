"""The phone page during an outage: a 503 is a network failure; the report stays and goes again by itself.

The 503 answers come from Playwright's routing (the server's own 503s are tested in tests/test_outage.py and
under a real PostgreSQL outage in tests/test_fault.py); what is tested here is what the page does with them.
"""
import json

from tests.browser.conftest import connect_db


UNAVAILABLE = {"status": 503, "headers": {"Retry-After": "1", "Content-Type": "application/json"},
               "body": json.dumps({"errors": [{"field": None, "message": "Die Datenbank ist gerade nicht erreichbar."}]})}


def _count(server, token):
    with connect_db(server) as conn:
        return conn.execute("SELECT count(*) FROM reports WHERE token = %s", (token,)).fetchone()[0]


def _fail_first(page, n):
    """Answer the first `n` report submissions with 503; let the rest through. Returns the keys sent."""
    keys = []

    def handle(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) <= n:
            route.fulfill(**UNAVAILABLE)
        else:
            route.continue_()

    page.route("**/api/v1/reports", lambda route: handle(route) if route.request.method == "POST"
               else route.continue_())
    return keys


def test_the_page_keeps_the_report_through_503s_and_sends_it_once(phone, live_server):
    keys = _fail_first(phone, 2)
    phone.goto(live_server.url + "/melden")
    phone.get_by_role("button", name="Meinen Standort verwenden").click()
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('Ort gesetzt')")
    phone.fill("textarea[name=description]", "Während der Störung gemeldet")
    phone.get_by_role("button", name="Meldung senden").click()
    # While it waits for the next try, the page says so (the report is kept on the phone); no error box.
    phone.wait_for_function("() => document.getElementById('outbox-intro').textContent.includes('erneut gesendet')")
    assert phone.is_visible("#outbox") and phone.is_hidden("#form-errors")
    phone.wait_for_selector("#done:not([hidden])", timeout=15000)
    token = phone.get_attribute("#done-link", "href").rsplit("/", 1)[1]
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]   # one key: the server stores it once
    assert _count(live_server, token) == 1


def test_after_five_minutes_of_503s_the_report_is_still_kept_and_tried_with_its_key_in_english(phone, live_server):
    # The outbox (tests/browser/test_citizen_offline.py) never gives a kept report up: it waits on the phone
    # and goes again with the same key until the service answers; no "press the button again".
    keys = _fail_first(phone, 1000)
    phone.clock.install()
    phone.goto(live_server.url + "/melden?lang=en")
    phone.get_by_role("button", name="Use my location").click()
    phone.wait_for_function("() => document.getElementById('location-status').textContent.includes('Place set')")
    phone.fill("textarea[name=description]", "Sent during the outage")
    phone.get_by_role("button", name="Send report").click()
    phone.wait_for_function("() => document.getElementById('outbox-intro').textContent.includes('sent again shortly')")
    for _ in range(12):
        phone.clock.run_for(61_000)
        phone.wait_for_timeout(300)   # real time for the routed answer to come back and the next try to be set
    assert len(keys) >= 6 and len(set(keys)) == 1
    assert phone.is_hidden("#form-errors") and phone.is_hidden("#done")
    assert "Waiting for the service" in phone.inner_text("#outbox-list")
    assert phone.evaluate("ReportOutbox.pending().then(l => l.map(e => e.fields.description))") == \
        ["Sent during the outage"]
