"""Every route x every role: who may open what (issue #12's "role x route matrix").

`ROUTES` holds one row per method and URL rule of `app.url_map`; a route added without a row (or a row left
behind by a removed route) fails `test_every_route_has_a_row`. A row names an access class (`PUBLIC`, `STAFF`,
`POLICE`, ...) or a dict of its own: the outcome per role, one of
  OK     the role passes (any answer but 401, 403, a redirect to the login page or a 5xx),
  LOGIN  a redirect to the login page (browser pages) - anonymous only,
  401 / 403 / 404  exactly this status.
Roles: anonymous and every role of `app.models.ROLES` (a role added there needs a column in each class).
"""
import io
import re
import uuid
from datetime import date

import pytest
from PIL import Image

from app.extensions import db
from app.models import ROLES, Measure, Photo, Report
from app.services.police import tags as tag_service
from app.services.staff import planning
from app.services.core.accounts import create_user
from tests.conftest import TEST_PASSWORD, _login
from tests.factories import make_building, make_report, post

OK, LOGIN = "ok", "login"

PUBLIC = {"anonymous": OK, "staff": OK, "police": OK, "admin": OK, "prevention": OK}
LOGGED_IN = {"anonymous": 401, "staff": OK, "police": OK, "admin": OK, "prevention": OK}
EVERYONE_401 = {"anonymous": 401, "staff": 401, "police": 401, "admin": 401, "prevention": 401}  # (the wrong password posted)
API_KEY = {"anonymous": 403, "staff": 403, "police": 403, "admin": 403, "prevention": 403}  # a key, not a role, lets one write
STAFF = {"anonymous": LOGIN, "staff": OK, "police": 403, "admin": OK, "prevention": 403}
STAFF_API = {**STAFF, "anonymous": 401}
POLICE = {"anonymous": LOGIN, "staff": 403, "police": OK, "admin": OK, "prevention": 403}
POLICE_API = {**POLICE, "anonymous": 401}
ADMIN = {"anonymous": LOGIN, "staff": 403, "police": 403, "admin": OK, "prevention": 403}
# prevention: the coordinator reads measures, evaluations and the yearly report; staff and police also edit
PREVENTION = {"anonymous": LOGIN, "staff": OK, "police": OK, "admin": OK, "prevention": OK}
PREVENTION_EDIT = {**PREVENTION, "prevention": 403}

ROUTES = {
    # citizens and everyone
    "GET /": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /karte": PUBLIC,
    "GET /manifest.webmanifest": PUBLIC,
    "GET /sw.js": PUBLIC,
    "GET /media/<name>": PUBLIC,
    "GET /meine-meldungen": PUBLIC,
    "GET /melden": PUBLIC,
    "GET /r/<token>": PUBLIC,
    "GET /static/<path:filename>": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": EVERYONE_401,
    "POST /logout": LOGGED_IN,
    # the JSON API
    "GET /api/v1/addresses": PUBLIC,
    "GET /api/v1/city": PUBLIC,
    "GET /api/v1/docs": PUBLIC,
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/reports": PUBLIC,
    "POST /api/v1/reports": PUBLIC,
    "GET /api/v1/reports/<token>": PUBLIC,
    "POST /api/v1/reports/<token>/confirm": PUBLIC,
    "GET /api/v1/reports/nearby": PUBLIC,
    "GET /api/v1/hotspots": POLICE_API,
    "GET /api/v1/staff/jobs": STAFF_API,
    "GET /api/v1/staff/map": STAFF_API,
    "GET /api/v1/staff/plan-proposal": STAFF_API,
    # Open311: other systems, by API key (for writing) - no role
    "GET /open311/v2/discovery.<fmt>": PUBLIC,
    "GET /open311/v2/services.<fmt>": PUBLIC,
    "GET /open311/v2/services/<code>.<fmt>": PUBLIC,
    "GET /open311/v2/requests.<fmt>": PUBLIC,
    "POST /open311/v2/requests.<fmt>": API_KEY,
    "GET /open311/v2/requests/<request_id>.<fmt>": PUBLIC,
    "GET /open311/v2/tokens/<token>.<fmt>": PUBLIC,
    "GET /open311/v2/servicerequestupdates.<fmt>": API_KEY,
    "GET /open311/v2/openapi.json": PUBLIC,
    "POST /open311/v2/servicerequestupdates.<fmt>": API_KEY,
    # building management
    "GET /staff/": STAFF,
    "GET /staff/queue": STAFF,
    "POST /staff/queue/bulk": STAFF,
    "POST /staff/buildings/<int:building_id>/owner": STAFF,
    "POST /staff/jobs/<int:report_id>/owner-letter": STAFF,
    "GET /staff/jobs/<int:report_id>/owner-letter.pdf": {**STAFF, "staff": 404, "admin": 404},  # no letter yet
    "GET /staff/jobs/<int:report_id>": STAFF,
    "POST /staff/jobs/<int:report_id>/merge": STAFF,
    "POST /staff/jobs/<int:report_id>/publish-description": STAFF,
    "POST /staff/jobs/<int:report_id>/removal": STAFF,
    "POST /staff/jobs/<int:report_id>/status": STAFF,
    "POST /staff/photos/<int:photo_id>/blur": STAFF,
    "GET /staff/photos/<path:name>": STAFF,
    "GET /staff/plans": STAFF,
    "GET /staff/plans/new": STAFF,
    "POST /staff/plans/new": STAFF,
    "GET /staff/plans/<int:plan_id>": STAFF,
    "GET /staff/plans/<int:plan_id>.csv": STAFF,
    "GET /staff/plans/<int:plan_id>.gpx": STAFF,
    "GET /staff/plans/<int:plan_id>/map": STAFF,
    "GET /staff/plans/<int:plan_id>/sheet": STAFF,
    "GET /staff/statistics": STAFF,
    "GET /staff/statistics.csv": STAFF,
    # police
    "GET /police/": POLICE,
    "GET /police/access-log": ADMIN,
    "GET /police/export/<kind>.<fmt>": POLICE,
    "GET /police/map.png": POLICE,
    "GET /police/map/frame": POLICE,
    "GET /police/near-repeat": POLICE,
    "GET /police/print": POLICE,
    "GET /police/reports": POLICE,
    "GET /police/reports/<int:report_id>": POLICE,
    "POST /police/reports/<int:report_id>/contact": POLICE,
    "POST /police/reports/<int:report_id>/tags": POLICE,
    "POST /police/reports/<int:report_id>/tags/<int:tag_id>/remove": POLICE,
    "GET /police/tags": POLICE,
    "GET /police/tags/<int:tag_id>": POLICE,
    "GET /police/tags/<int:tag_id>/map": POLICE,
    # prevention
    "GET /prevention/": PREVENTION,
    "GET /prevention/buildings/at": PREVENTION_EDIT,
    "GET /prevention/measures/new": PREVENTION_EDIT,
    "POST /prevention/measures/new": PREVENTION_EDIT,
    "GET /prevention/measures/<int:measure_id>": PREVENTION,
    "GET /prevention/measures/<int:measure_id>/edit": PREVENTION_EDIT,
    "POST /prevention/measures/<int:measure_id>/edit": PREVENTION_EDIT,
    "GET /prevention/measures/<int:measure_id>/evaluation": PREVENTION,
    "GET /prevention/report": PREVENTION,
    "GET /prevention/report.pdf": PREVENTION,
}

# Values for URL variables where a rule needs a specific one; the rest come from the `values` fixture.
FIXED_VALUES = {"fmt": "json", "code": "graffiti", "kind": "reports", "filename": "app.css"}
FIXED_BY_RULE = {"/police/export/<kind>.<fmt>": {"fmt": "csv"}}


def _rows(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.rule}", rule


def test_every_route_has_a_row(app):
    """A new route needs its row in ROUTES (and a removed route loses it)."""
    seen = {key for key, _ in _rows(app)}
    assert sorted(seen - ROUTES.keys()) == [], "routes without a row in tests/test_route_matrix.py ROUTES"
    assert sorted(ROUTES.keys() - seen) == [], "rows in ROUTES for routes that no longer exist"


def test_every_access_class_names_every_role():
    for key, expected in ROUTES.items():
        assert set(expected) == {"anonymous", *ROLES}, key


@pytest.fixture
def values(app, client):
    """Real objects for the URL variables, so an allowed role mostly gets a 200, not a 404."""
    photo_png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 50, 50)).save(photo_png, "JPEG")
    building = make_building()
    report = make_report(building, status="verified")
    other = make_report(building, status="verified")
    planned = make_report(make_building(lat=49.145, lon=9.215, address="Allee 2"), status="verified")
    user = create_user(f"matrix-{uuid.uuid4().hex[:6]}@example.org", TEST_PASSWORD, "admin")
    tag = tag_service.attach(report, "MATRIX", user)
    plan = planning.create_plan(date.today(), "Trupp 1", [planned.id], user)
    measure = Measure(kind="coating", title="Matrix", start_on=date(2025, 1, 1), area=building.footprint)
    db.session.add(measure)
    db.session.commit()
    resp = post(client, photos=[photo_png.getvalue()])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    token = resp.get_json()["token"]
    citizen = db.session.execute(db.select(Report).where(Report.token == token)).scalar_one()
    photo = db.session.execute(db.select(Photo).where(Photo.report_id == citizen.id)).scalar_one()
    return {"report_id": report.id, "other_id": other.id, "plan_id": plan.id, "tag_id": tag.id,
            "photo_id": photo.id, "name": photo.filename, "token": token, "request_id": str(citizen.id),
            "measure_id": measure.id, "building_id": building.id}


def _url(rule, values):
    url = rule.rule
    fixed = {**FIXED_VALUES, **FIXED_BY_RULE.get(rule.rule, {})}
    for name in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(fixed.get(name, values.get(name, 1))), url)
    return url


def _outcome(resp) -> str | int:
    if resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", ""):
        return LOGIN
    if resp.status_code in (401, 403, 404):
        return resp.status_code
    return OK


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_gets_what_its_row_says(app, client, role, values):
    c = client if role == "anonymous" else _login(app, role)
    wrong = []
    for key, rule in sorted(_rows(app), key=lambda kr: kr[0]):
        method = key.split()[0]
        url = _url(rule, values)
        data = {"reason": "matrix", "name": "MATRIX2", "note": "x", "email": "nobody@example.org",
                "password": "wrong"} if method == "POST" else None
        resp = c.open(url, method=method, data=data)
        resp.close()
        assert resp.status_code < 500, (role, key, url, resp.status_code)
        expected = ROUTES[key][role]
        got = _outcome(resp)
        # an allowed role may still meet a 404 for a missing object or parameter: that is no access decision
        if got != expected and not (expected == OK and got == 404 and method == "GET" and "<" in rule.rule):
            wrong.append((key, url, expected, got, resp.status_code))
        if key == "POST /logout" and role != "anonymous":
            c = _login(app, role)  # logged out now: log in again for the rest
    assert wrong == [], f"{role}: (route, url, expected, outcome, status): {wrong}"
