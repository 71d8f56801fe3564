"""The phone page during an outage: a 503 is a network failure; the report stays and goes again by itself.

The 503 answers come from Playwright's routing (the server's own 503s are tested in tests/test_outage.py and
under a real PostgreSQL outage in tests/test_fault.py); what is tested here is what the page does with them.
"""
import json

import psycopg
from sqlalchemy.engine import make_url

UNAVAILABLE = {"status": 503, "headers": {"Retry-After": "1", "Content-Type": "application/json"},
               "body": json.dumps({"errors": [{"field": None, "message": "Die Datenbank ist gerade nicht erreichbar."}]})}


def _count(server, token):
    url = make_url(server.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
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
    phone.wait_for_function("document.getElementById('location-status').textContent.includes('Ort gesetzt')")
    phone.fill("textarea[name=description]", "Während der Störung gemeldet")
    phone.get_by_role("button", name="Meldung senden").click()
    # While it waits for the next try, the button says so (and stays disabled); no error box is shown.
    phone.wait_for_function("document.getElementById('submit').textContent.includes('erneut gesendet')")
    assert phone.is_disabled("#submit") and phone.is_hidden("#form-errors")
    phone.wait_for_selector("#done:not([hidden])", timeout=15000)
    token = phone.get_attribute("#done-link", "href").rsplit("/", 1)[1]
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]   # one key: the server stores it once
    assert _count(live_server, token) == 1


def test_after_five_minutes_of_503s_the_citizen_is_asked_to_send_again_in_english(phone, live_server):
    keys = _fail_first(phone, 100)
    phone.clock.install()
    phone.goto(live_server.url + "/melden?lang=en")
    phone.get_by_role("button", name="Use my location").click()
    phone.wait_for_function("document.getElementById('location-status').textContent.includes('Place set')")
    phone.fill("textarea[name=description]", "Sent during the outage")
    phone.get_by_role("button", name="Send report").click()
    phone.wait_for_function("document.getElementById('submit').textContent.includes('sent again shortly')")
    for _ in range(12):
        phone.clock.run_for(61_000)
    phone.wait_for_selector("#form-errors:not([hidden])")
    assert "No connection. Your report has not been sent yet" in phone.inner_text("#form-errors")
    assert len(keys) == 12 and len(set(keys)) == 1
    # The report is still in the form; pressing the button again sends it with the same key.
    assert phone.input_value("textarea[name=description]") == "Sent during the outage"
    assert phone.is_enabled("#submit") and phone.is_hidden("#done")
