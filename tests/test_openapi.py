"""The OpenAPI document: it matches the routes, and schemathesis finds no 500 and no answer off the document."""
import os
import re
from collections import Counter

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from shapely.geometry import Point
from sqlalchemy import func, select

from app.city import current_city
from app.extensions import db
from app.models import Report
from tests.conftest import _login

UNDOCUMENTED = {("/docs", "GET")}  # the HTML reference page itself
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
# What the document promises: no 5xx, only documented status codes, content types and bodies. Schema-valid
# requests that break a rule a schema cannot state (min < max in a bbox) may get a documented 400.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


def _documented(app):
    with app.test_request_context():
        from app.api.openapi import build_document

        doc = build_document()
    return doc, {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}


def _routed(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_api_route_is_documented_and_nothing_else(app):
    doc, documented = _documented(app)
    routed = _routed(app) - UNDOCUMENTED
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations without a route"
    assert doc["openapi"].startswith("3.")


def test_document_is_served_and_the_reference_page_loads(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.get_json()["paths"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in page and "/api/v1/openapi.json" in page


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


ROLE_PATHS = {"staff": {"/staff/map", "/staff/jobs", "/staff/plan-proposal"}, "police": {"/hotspots"}}
POSITIONED = {("POST", "/reports"): "body", ("GET", "/reports/nearby"): "query"}


def _inside_the_city(app, n=40) -> list[tuple[float, float]]:
    """(lat, lon) of `n` seeded random points inside the city's boundary: generated positions almost never are."""
    with app.app_context():
        boundary = current_city().boundary
    minx, miny, maxx, maxy = boundary.bounds
    rng = np.random.default_rng(0)
    out = []
    while len(out) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if boundary.contains(Point(lon, lat)):
            out.append((float(lat), float(lon)))
    return out


def _place(case, position) -> None:
    """Move a generated report or nearby query to a position inside the city (when it has a lat and lon)."""
    where = POSITIONED.get((case.method.upper(), case.path))
    target = case.body if where == "body" else case.query if where == "query" else None
    if position is not None and isinstance(target, dict) and "lat" in target and "lon" in target:
        target["lat"], target["lon"] = position


def _fuzz(app, cookie=None) -> tuple[list[str], dict]:
    """Run a bounded number of generated requests per operation (half of the report positions moved inside the
    city), with the session `cookie` of a login or anonymously; return the failures and the status codes seen
    per operation."""
    failures, seen = [], {}
    inside = _inside_the_city(app)
    for operation in _operations(app):
        codes = seen.setdefault((operation.method.upper(), operation.path), Counter())
        try:
            _generated_requests(operation, codes, inside, app, cookie)()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures, seen


def _generated_requests(operation, codes: Counter, inside, app, cookie):
    @given(case=operation.as_strategy(), position=st.one_of(st.none(), st.sampled_from(inside)))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
    def check(case, position):
        _place(case, position)
        # The login cookie goes with every call: schemathesis sets the cookies of a case (a generated `session`
        # for the cookie security scheme) on the client and deletes them afterwards, which would log a shared
        # client out for every later call (all "logged-in" calls then got 401).
        response = case.call(session=app.test_client(), cookies={"session": cookie} if cookie else None)
        codes[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
    return check


def _stored_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def test_api_anonymous(app):
    """Anonymous callers: never a 500, every answer as documented; role operations answer 401 only; generated
    reports inside the city are stored."""
    before = _stored_reports()
    failures, seen = _fuzz(app)
    assert not failures, "\n\n".join(failures)
    for path in set().union(*ROLE_PATHS.values()):
        assert set(seen[("GET", path)]) == {401}, (path, seen[("GET", path)])
    assert seen[("POST", "/reports")][201] > 0 and _stored_reports() > before
    assert seen[("GET", "/reports/nearby")][200] > 0


@pytest.mark.parametrize("role", ["staff", "police", "admin"])
def test_api_logged_in(app, role):
    """Logged in for real (the session cookie of /login, kept by the client): never a 500, every answer as
    documented; the role's own operations answer (not 401/403), the other role's ones 403 (admins pass all)."""
    failures, seen = _fuzz(app, _login(app, role).get_cookie("session").value)
    assert not failures, "\n\n".join(failures)
    assert sum(seen[("GET", path)][200] for path in ROLE_PATHS.get(role, ROLE_PATHS["police"])) > 0
    for owner, paths in ROLE_PATHS.items():
        for path in paths:
            codes = seen[("GET", path)]
            assert 401 not in codes, (role, path, codes)
            if role in (owner, "admin"):  # past the role check (the answer itself may be a documented 400)
                assert 403 not in codes and codes.total() > 0, (role, path, codes)
            else:
                assert set(codes) == {403}, (role, path, codes)


def test_stateful_report_then_status_and_confirmation_by_token(app):
    """The OpenAPI links of POST /reports (its token to GET /reports/{token} and to the confirmation): a generated
    report inside the city, then its status and confirmation, all as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    inside = _inside_the_city(app)
    followed = Counter()

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            _place(case, inside[len(followed) % len(inside)])

        def get_call_kwargs(self, case):
            return {"session": app.test_client()}

        def after_call(self, response, case):
            super().after_call(response, case)
            if case.path.startswith("/reports/{token}") and response.status_code == 200:
                followed[(case.method.upper(), case.path)] += 1
            followed["steps"] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=max(10, MAX_EXAMPLES), stateful_step_count=6, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck), database=None))
    assert followed[("GET", "/reports/{token}")] > 0, followed
    assert followed[("POST", "/reports/{token}/confirm")] > 0, followed
