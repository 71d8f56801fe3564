"""Bad input answers 400 with the field, never 500 (issue #12, finding 10); log lines cannot be forged (finding 11)."""
import io
import json
import logging

import pytest

from app import logsafe
from app.extensions import db
from tests.factories import make_building, make_report


def _fields(resp) -> list:
    body = resp.get_json(silent=True) or {}
    if isinstance(body, list):  # Open311's own error format: no field names
        return ["path"] if any("unzulässiges Zeichen" in e.get("description", "") for e in body) else []
    return [e.get("field") for e in body.get("errors", [])]


@pytest.mark.parametrize("path", ["/r/a%00b", "/api/v1/reports/a%00b", "/open311/v2/tokens/a%00b.json",
                                  "/open311/v2/requests/a%00b.json", "/media/a%00b", "/karte%00"])
def test_nul_in_a_path(client, path):
    resp = client.get(path, headers={"Accept": "application/json"})
    assert resp.status_code == 400, (path, resp.status_code)
    assert _fields(resp) == ["path"]


def test_nul_in_the_login_email_keeps_the_answer_a_400(client):
    resp = client.post("/login", data={"email": "a\x00@example.org", "password": "x"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 400 and _fields(resp) == ["email"]
    page = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert page.status_code == 400 and "unzulässiges Zeichen" in page.get_data(as_text=True)


def test_nul_in_police_filters_and_tag_names(app, police_client):
    report = make_report(make_building())
    db.session.commit()
    for url in ("/police/?district=a%00b", "/police/reports?district=a%00b", "/api/v1/hotspots?district=a%00b",
                "/police/map/frame?district=x%00"):
        resp = police_client.get(url, headers={"Accept": "application/json"})
        assert resp.status_code == 400 and _fields(resp) == ["district"], url
    resp = police_client.post(f"/police/reports/{report.id}/tags", data={"name": "TAG\x00"},
                              headers={"Accept": "application/json"})
    assert resp.status_code == 400 and _fields(resp) == ["name"]


def test_nul_in_a_staff_note(app, staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={"status": "verified", "note": "ok\x00"},
                             headers={"Accept": "application/json"})
    assert resp.status_code == 400 and _fields(resp) == ["note"]
    db.session.refresh(report)
    assert report.status == "new"  # nothing half-written


def test_lone_surrogate_and_deep_json(client):
    body = '{"category": "graffiti", "lat": 49.14, "lon": 9.22, "description": "\\ud800"}'
    resp = client.post("/api/v1/reports", data=body, content_type="application/json")
    assert resp.status_code == 400 and _fields(resp) == ["description"]
    deep = "[" * 100_000 + "]" * 100_000
    resp = client.post("/api/v1/reports", data=deep, content_type="application/json")
    assert resp.status_code == 400 and _fields(resp) == ["json"]
    nested = json.dumps({"description": {"a": [[["x\u0000"]]]}})
    resp = client.post("/api/v1/reports", data=nested, content_type="application/json")
    assert resp.status_code == 400 and _fields(resp) == ["description"]


@pytest.mark.parametrize("url", [
    "/open311/v2/requests/123456789012345678901234567890.json",
    "/open311/v2/requests.json?service_request_id=123456789012345678901234567890",
    "/open311/v2/requests.json?start_date=9999-12-31",
    "/open311/v2/requests.json?end_date=9999-12-31T23:59:59Z",
    "/api/v1/reports?bbox=9.1,49.1,9.3,49.2&start_date=9999-12-31",
])
def test_huge_numbers_and_far_dates_in_public_queries(client, url):
    resp = client.get(url)
    assert resp.status_code < 500, (url, resp.status_code)
    assert resp.status_code in (200, 400, 404), (url, resp.status_code)


@pytest.mark.parametrize("url", ["/police/?from=9999-12-31", "/police/?to=9999-12-31", "/police/reports?page=" + "9" * 20,
                                 "/police/access-log?page=" + "1" + "0" * 20, "/api/v1/hotspots?from=9999-12-31"])
def test_huge_numbers_and_far_dates_for_police(admin_client, url):
    resp = admin_client.get(url, headers={"Accept": "application/json"})
    assert resp.status_code in (200, 400), (url, resp.status_code)


@pytest.mark.parametrize("url", ["/staff/queue?page=" + "1" + "0" * 20, "/staff/statistics?from=9999-12",
                                 "/staff/plans/new?day=9999-12-31", "/api/v1/staff/jobs?page=" + "1" + "0" * 20])
def test_huge_numbers_and_far_dates_for_staff(staff_client, url):
    resp = staff_client.get(url, headers={"Accept": "application/json"})
    assert resp.status_code in (200, 400), (url, resp.status_code)


def test_log_lines_escape_control_characters(app, client, caplog):
    """Once the app is made, every log record escapes control characters: a forged path logs as one line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.logsafe")
    logger.addHandler(handler)
    try:
        logger.warning("unhandled error on %s %s", "GET", "/r/x\n2026-11-30 INFO admin logged in\x1b[2J")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "\\n2026-11-30" in out and "\\x1b[2J" in out
    assert logsafe.escape("Straße\u2028x\r") == "Straße\\u2028x\\r"  # letters stay, separators do not


def test_gunicorn_access_log_escapes_the_path():
    from datetime import timedelta

    from gunicorn.config import Config

    from app.gunicorn_logger import Logger

    class Resp:
        status, sent, headers = "404 NOT FOUND", 10, []

    atoms = Logger(Config()).atoms(Resp(), [], {"REQUEST_METHOD": "GET", "RAW_URI": "/r/x%0Ay",
                                                "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/r/x\nFAKE"},
                                   timedelta(seconds=1))
    assert atoms["U"] == "/r/x\\nFAKE"


def test_the_role_checks_answer_first(client, police_client):
    """Bad input to a page one may not open is still answered by the role check (login, 401, 403), not a 400."""
    resp = client.get("/staff/queue?district=a%00b")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/api/v1/staff/jobs?district=a%00b").status_code == 401
    assert police_client.get("/api/v1/staff/jobs?district=a%00b").status_code == 403
    assert police_client.get("/api/v1/hotspots?district=a%00b").status_code == 400


def test_odd_multipart_field_names_are_no_500(client):
    body = (b'--b\r\nContent-Disposition: form-data; name="\xc3\xb5%0A\x12"\r\n\r\n{"a\\u0000": 1}\r\n'
            b'--b\r\nContent-Disposition: form-data; name=""\r\n\r\n-245\r\n--b--\r\n')
    resp = client.post("/api/v1/reports", data=body, content_type="multipart/form-data; boundary=b")
    assert resp.status_code == 400


def test_over_the_report_limit_the_body_is_not_read_first(app, apps_on_committing_db):
    """The citizens' report API answers 429 before its (maybe large) form is parsed and checked."""
    limited_app = apps_on_committing_db(REPORT_RATE_LIMIT="1/hour", WTF_CSRF_ENABLED=False)
    c = limited_app.test_client()
    c.environ_base["REMOTE_ADDR"] = "93.184.216.34"
    form = {"category": "nonsense", "lat": "x", "lon": "y"}
    assert c.post("/api/v1/reports", data=form).status_code == 400  # the one allowed: validated
    form["description"] = "a\x00b"
    assert c.post("/api/v1/reports", data=form).status_code == 429  # over the limit: not a 400 about the NUL


def test_a_nul_in_a_citizen_form_field_is_dropped_not_stored(app, client):
    from tests.factories import post

    resp = post(client, description="Wand\x00 am Markt", email="a\x00@example.org")
    assert resp.status_code in (201, 400), resp.get_data(as_text=True)  # never a 500
