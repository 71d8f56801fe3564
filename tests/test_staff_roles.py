"""Every staff page and staff API route checks the role: anonymous -> login/401, police -> 403, staff/admin pass."""
import re

import pytest

from app.extensions import db
from tests.factories import make_building, make_report


def _staff_rules(app):
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("staff.") or r.endpoint.startswith("api.staff_")]
    assert len(rules) >= 18  # the test must see the staff routes, or it proves nothing
    return rules


def _url(rule, ids):
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(ids.get(name, 1)), url)
    return url


@pytest.fixture
def ids(app):
    report = make_report(make_building())
    db.session.commit()
    return {"report_id": report.id, "plan_id": 1, "name": "x.jpg"}


def _calls(app, ids):
    for rule in _staff_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, _url(rule, ids)


def test_anonymous_is_sent_to_login_or_gets_401(app, client, ids):
    for method, url in _calls(app, ids):
        resp = client.open(url, method=method)
        if url.startswith("/api/"):
            assert resp.status_code == 401, (method, url)
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url)


def test_police_gets_403_everywhere(app, police_client, ids):
    for method, url in _calls(app, ids):
        assert police_client.open(url, method=method).status_code == 403, (method, url)


def test_staff_and_admin_pass_the_role_check(app, staff_client, admin_client, ids):
    for c in (staff_client, admin_client):
        for method, url in _calls(app, ids):
            if method != "GET":
                continue
            # a missing plan or photo is a 404 and a missing query a 400, but never 401/403
            assert c.open(url, method=method).status_code not in (401, 403, 500), (method, url)
        assert c.get("/staff/queue").status_code == 200
        assert c.get("/api/v1/staff/map?bbox=9.1,49.1,9.3,49.2&zoom=12").status_code == 200


def test_staff_pages_in_german_by_default_and_english_on_request(app, staff_client, ids):
    german = staff_client.get("/staff/queue").get_data(as_text=True)
    assert "Eingang: Aufträge" in german and "nur überfällige" in german
    english = staff_client.get("/staff/queue?lang=en").get_data(as_text=True)
    assert "Queue: jobs" in english and "overdue only" in english and "Eingang: Aufträge" not in english
    job = staff_client.get(f"/staff/jobs/{ids['report_id']}").get_data(as_text=True)  # the choice is kept
    assert "Next step" in job and "History" in job


def test_the_blueprint_wide_check_answers_options_as_the_per_view_check_does(app, client):
    """Flask's automatic OPTIONS answer runs no view; the blueprint-wide role check leaves it alone, as the
    per-view decorator (still used by the API) does."""
    for url in ("/staff/", "/staff/queue", "/police/", "/police/access-log", "/api/v1/staff/jobs"):
        resp = client.open(url, method="OPTIONS")
        assert resp.status_code == 200 and "GET" in resp.headers["Allow"], url
        assert client.get(url).status_code in (302, 401), url
