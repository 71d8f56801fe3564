"""The OpenAPI document: it matches the routes, and schemathesis finds no 500 and no answer off the document."""
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from app.extensions import db
from app.services.core.accounts import create_user
from tests.conftest import TEST_PASSWORD

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


def _fuzz(app, headers=None) -> list[str]:
    """Run a bounded number of generated requests per operation; return the failures found."""
    failures = []
    for operation in _operations(app):
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures


def test_api_anonymous(app):
    """Anonymous callers: never a 500, every answer as documented (staff operations answer 401)."""
    failures = _fuzz(app)
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def admin_cookie(app):
    user = create_user("schemathesis-admin@example.org", TEST_PASSWORD, "admin")
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    cookie = client.get_cookie("session")
    return f"session={cookie.value}"


def test_api_as_admin(app, admin_cookie):
    """Logged in (admin passes every role check): never a 500, every answer as documented."""
    failures = _fuzz(app, headers={"Cookie": admin_cookie})
    assert not failures, "\n\n".join(failures)
