"""A database that cannot be reached: 503 with Retry-After in every client's format, one log line, no traceback.

The app here points at a port on which nothing listens (a real refused connection, no mock); the fault test
(tests/test_fault.py) stops and restarts a real PostgreSQL under load.
"""
import logging
from pathlib import Path

import pytest

from app import create_app
from tests.factories import MARKT, jpeg_bytes, post

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/graffiti_nowhere"  # port 1: connection refused


@pytest.fixture(scope="module")
def down(tmp_path_factory):
    """An app whose database cannot be reached."""
    var = tmp_path_factory.mktemp("down")
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": NOWHERE, "SECRET_KEY": "outage-test",
                              "UPLOAD_DIR": str(var / "uploads"), "MAIL_OUTBOX_DIR": str(var / "outbox")})
    return application


def _one_line_each(caplog, requests: int):
    """Exactly one log record per request, a warning without traceback naming the refused connection."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == requests, [r.getMessage() for r in records]
    for r in records:
        assert r.name == "app.outage" and r.exc_info is None and r.exc_text is None
        assert "-> 503" in r.getMessage() and "\n" not in r.getMessage()


@pytest.mark.parametrize("url", ["/api/v1/reports/some-token", f"/api/v1/reports/nearby?lat={MARKT[0]}&lon={MARKT[1]}",
                                 "/api/v1/reports?bbox=9.2,49.1,9.3,49.2", "/api/v1/addresses?q=Markt"])
def test_api_reads_get_a_json_503_that_says_to_try_again(down, caplog, url):
    resp = down.test_client().get(url)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    [error] = resp.get_json()["errors"]
    assert "nicht erreichbar" in error["message"] and "Sekunden erneut" in error["message"]
    assert "gespeichert" not in error["message"]   # a GET stores nothing, so it says nothing about storing
    _one_line_each(caplog, 1)


def test_a_report_sent_during_an_outage_gets_a_503_that_says_to_send_it_again(down, caplog):
    resp = post(down.test_client(), photos=[jpeg_bytes()], headers={"Idempotency-Key": "outage-1"})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    [error] = resp.get_json()["errors"]
    assert "nicht abgeschlossen" in error["message"] and "Idempotency-Key" in error["message"]
    _one_line_each(caplog, 1)
    uploads = Path(down.config["UPLOAD_DIR"])
    assert not [p for p in uploads.rglob("*") if p.is_file()]   # no photo file left behind


def test_the_503_follows_the_language(down):
    resp = down.test_client().get("/api/v1/reports/some-token", headers={"Accept-Language": "en"})
    [error] = resp.get_json()["errors"]
    assert error["message"] == "The database cannot be reached right now. Please try again in a few seconds."
    resp = post(down.test_client(), headers={"Accept-Language": "en"})
    assert "could not be completed" in resp.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("lang, words", [("de", ("Kurz nicht erreichbar", "von selbst neu")),
                                         ("en", ("Briefly unavailable", "reloads itself"))])
def test_browsers_get_a_friendly_page_that_reloads_itself(down, caplog, lang, words):
    resp = down.test_client().get(f"/r/some-token?lang={lang}")
    assert resp.status_code == 503 and resp.mimetype == "text/html" and resp.headers["Retry-After"] == "10"
    page = resp.get_data(as_text=True)
    assert all(w in page for w in words) and '<meta http-equiv="refresh" content="10">' in page
    assert "Traceback" not in page and "gespeichert" not in page
    _one_line_each(caplog, 1)


def test_a_logged_in_staff_member_gets_the_page_too(down, caplog):
    client = down.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"   # loading the user and checking the login's session need the database
        session["sid"] = "a-session-token"
    resp = client.get("/staff/")
    assert resp.status_code == 503 and "Kurz nicht erreichbar" in resp.get_data(as_text=True)
    _one_line_each(caplog, 1)


@pytest.mark.parametrize("method, url", [("get", "/open311/v2/requests.json"), ("get", "/open311/v2/requests.xml"),
                                         ("post", "/open311/v2/requests.json")])
def test_open311_gets_its_own_error_format(down, method, url):
    resp = getattr(down.test_client(), method)(url, data={"api_key": "k" * 40, "service_code": "graffiti",
                                                          "lat": MARKT[0], "long": MARKT[1]} if method == "post" else None)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    if url.endswith(".json"):
        [error] = resp.get_json()
        assert error["code"] == 503 and "nicht erreichbar" in error["description"]
    else:
        assert "<code>503</code>" in resp.get_data(as_text=True)


def test_healthz_says_503_with_retry_after(down):
    resp = down.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "10"
    assert resp.get_json()["status"] == "error"


def test_405_names_the_allowed_methods(client):
    resp = client.delete("/api/v1/reports")
    assert resp.status_code == 405 and set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert resp.get_json()["errors"][0]["message"]
    page = client.put("/melden")
    assert page.status_code == 405 and "GET" in page.headers["Allow"] and page.mimetype == "text/html"
