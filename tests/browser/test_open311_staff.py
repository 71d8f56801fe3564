"""Open311 on the real server: a client files a report and comments on it; staff read the comment on the job
page on a phone (390 px, no sideways scrolling even for a long picture link) and release the description,
which the client then reads back."""
import hashlib
import json
import re
import secrets
import urllib.parse
import urllib.request

import pytest

from tests.browser.conftest import connect_db, login


def _api_key(server, name: str) -> str:
    """An API key stored the way `flask create-api-key` stores it (SHA-256, prefix of 8)."""
    plain = secrets.token_urlsafe(32)
    with connect_db(server) as conn:
        conn.execute("INSERT INTO api_keys (name, prefix, key_hash) VALUES (%s, %s, %s)",
                     (name, plain[:8], hashlib.sha256(plain.encode()).hexdigest()))
    return plain


def _post(server, path: str, data: dict) -> list:
    body = urllib.parse.urlencode(data).encode()
    with urllib.request.urlopen(urllib.request.Request(server.url + path, data=body), timeout=30) as resp:
        return json.loads(resp.read())


def _get(server, path: str) -> list:
    with urllib.request.urlopen(server.url + path, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture
def narrow(browser, request):
    """A desktop browser at a phone's width (390 px). Not the `phone` fixture: in the mobile context the staff
    login was ended right after /staff/ loaded (the next page redirected to the login, a form got a CSRF
    400 with an anonymous session cookie), seen 3 times of 3 on 2026-11-30, apparently a race between the
    login's new session cookie and another response's cookie; reported to the lead, not this test's subject."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = ctx.new_page()
    request.node._page = page
    yield page
    ctx.close()


def test_staff_read_a_clients_comment_on_a_phone_and_release_the_description(narrow, live_server):
    phone = narrow
    key = _api_key(live_server, "FixMyStreet Heilbronn")
    filed = _post(live_server, "/open311/v2/requests.json", {
        "api_key": key, "service_code": "graffiti", "lat": "49.14905", "long": "9.21412",
        "description": "Schriftzug an der Bibliothekstür", "email": "fms@example.org"})[0]
    request_id = filed["service_request_id"]
    long_link = "https://fixmystreet.example/photo/c/" + "x" * 180 + ".full.jpeg"
    _post(live_server, "/open311/v2/servicerequestupdates.json", {
        "api_key": key, "service_request_id": request_id, "update_id": "fms-1", "status": "OPEN",
        "description": "Nachtrag: auch die Fensterscheibe ist besprüht.", "media_url": long_link})
    assert _get(live_server, f"/open311/v2/requests/{request_id}.json")[0]["description"] == ""
    with connect_db(live_server) as conn:
        report_id = conn.execute("SELECT id FROM reports WHERE public_id = %s", (request_id,)).fetchone()[0]

    login(phone, live_server, "staff")
    phone.wait_for_url(re.compile(r"/staff/$"))      # the login's redirect has landed (and its new cookie)
    phone.goto(f"{live_server.url}/staff/jobs/{report_id}")
    comments = phone.locator(".client-comments li")
    assert comments.count() == 1
    assert "auch die Fensterscheibe" in comments.inner_text() and "FixMyStreet Heilbronn" in comments.inner_text()
    # this block fits the phone, the long link included (the page's other tables are the job page's own)
    assert phone.evaluate("""() => [document.getElementById('publication'), ...document.querySelectorAll(
        '.client-comments li')].every(e => e.getBoundingClientRect().right <= window.innerWidth
                                          && e.scrollWidth <= e.clientWidth)""")
    with phone.expect_navigation():
        phone.locator("#publication button[type=submit]").click()
    assert phone.locator("#publication").inner_text().count("öffentlich seit") == 1
    shown = _get(live_server, f"/open311/v2/requests/{request_id}.json")[0]
    assert shown["description"] == "Schriftzug an der Bibliothekstür"
    assert "Fensterscheibe" not in json.dumps(shown)          # the client's comment is never published
