"""A client's whole round over Open311 (issue #20), in JSON and XML, every JSON answer checked against the
GeoReport v2 schemas: services, a request, a status change by staff with a public message, the update
fetched by the client, a client comment posted and seen by staff (and by nobody else); list limits."""
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Report, ReportComment
from app.services.citizen import open311 as svc
from app.services.core.apikeys import create_api_key
from tests.factories import MARKT, make_report, offset
from tests.georeport_schemas import validate

BASE = "/open311/v2"


def _key(name):
    _row, plain = create_api_key(name)
    db.session.commit()
    return plain


def _xml_list(resp, root, item):
    assert resp.content_type.startswith("text/xml"), resp.get_data(as_text=True)
    tree = ET.fromstring(resp.data)
    assert tree.tag == root
    return [{c.tag: (c.text or "") for c in entry} for entry in tree.findall(item)]


def _get(client, path, fmt, kind, root=None, item=None, **params):
    resp = client.get(f"{BASE}/{path}.{fmt}", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if fmt == "json":
        validate(kind, resp.get_json())
        return resp.get_json()
    return _xml_list(resp, root, item) if item else ET.fromstring(resp.data)


def _post(client, path, fmt, kind, data):
    resp = client.post(f"{BASE}/{path}.{fmt}", data=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if fmt == "json":
        validate(kind, resp.get_json())
        return resp.get_json()[0]
    root, item = ("service_requests", "request") if path == "requests" else ("service_request_updates",
                                                                              "request_update")
    return _xml_list(resp, root, item)[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_clients_whole_round(client, staff_client, fmt):
    key = _key(f"FixMyStreet {fmt}")
    window = {"api_key": key, "start_date": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "end_date": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    # discovery and services
    discovery = _get(client, "discovery", fmt, "discovery")
    url = discovery["endpoints"][0]["url"] if fmt == "json" else discovery.findtext("endpoints/endpoint/url")
    assert url.endswith("/open311/v2/")
    services = _get(client, "services", fmt, "services", "services", "service")
    assert "graffiti" in [s["service_code"] for s in services]
    _get(client, "services/graffiti", fmt, "service_definition")
    # a request
    created = _post(client, "requests", fmt, "service_request_created", {
        "api_key": key, "service_code": "graffiti", "lat": str(MARKT[0]), "long": str(MARKT[1]),
        "description": "Großes Tag am Tor", "email": "fms-user@example.org", "first_name": "Erika",
        "last_name": "Mustermann"})
    request_id = created["service_request_id"]
    report = db.session.scalar(select(Report).where(Report.public_id == request_id))
    assert report.status == "new"
    assert _get(client, "servicerequestupdates", fmt, "service_request_updates", "service_request_updates",
                "request_update", **window) == []          # nothing has happened yet
    # staff verify it with a message for the citizen and an internal note
    changed = staff_client.post(f"/staff/jobs/{report.id}/status", data={
        "to": "verified", "note": "intern: Hausmeister Schmidt anrufen",
        "public_message": "Danke, wir entfernen das Graffiti in den nächsten Tagen."})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    # the client fetches the update
    got = _get(client, "servicerequestupdates", fmt, "service_request_updates", "service_request_updates",
               "request_update", **window)
    assert [(u["service_request_id"], u["status"], u["external_status_code"]) for u in got] == [
        (request_id, "investigating", "verified")]
    assert got[0]["description"] == "Danke, wir entfernen das Graffiti in den nächsten Tagen."
    assert got[0]["update_id"]
    listing = client.get(f"{BASE}/servicerequestupdates.{fmt}", query_string=window)
    text = listing.get_data(as_text=True)
    assert "Schmidt" not in text and "fms-user@" not in text and "Mustermann" not in text
    assert listing.headers["X-Open311-Truncated"] == "false"
    # the request reads back open, without the citizen's text (not released)
    shown = _get(client, f"requests/{request_id}", fmt, "service_requests", "service_requests", "request")
    assert shown[0]["status"] == "open" and shown[0]["description"] == ""
    # the client posts a comment; a retry of it stores nothing new
    comment = {"api_key": key, "service_request_id": request_id, "update_id": "fms-77", "status": "OPEN",
               "description": "Es ist noch da und wurde größer.", "email": "fms-user@example.org",
               "first_name": "Erika", "last_name": "Mustermann", "updated_datetime": datetime.now(UTC).isoformat(),
               "media_url": "https://fixmystreet.example/photo/c/77.full.jpeg"}
    first = _post(client, "servicerequestupdates", fmt, "service_request_update_created", comment)
    again = _post(client, "servicerequestupdates", fmt, "service_request_update_created", comment)
    assert first["update_id"] == again["update_id"]
    assert db.session.scalar(select(func.count()).select_from(ReportComment)) == 1
    # staff see it on the job page; the public never does
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert "Es ist noch da und wurde größer." in page and f"FixMyStreet {fmt}" in page
    assert "fixmystreet.example/photo/c/77" in page
    for public in (client.get(f"{BASE}/requests/{request_id}.json"), client.get(f"{BASE}/requests.xml"),
                   client.get(f"{BASE}/servicerequestupdates.json", query_string=window)):
        assert "wurde größer" not in public.get_data(as_text=True)
    assert "Mustermann" not in page.split("client-comments")[-1]      # the commenter's name is not kept


def test_updates_belong_to_the_client_that_filed_the_report(client, staff_client):
    mine, theirs = _key("Client A"), _key("Client B")
    answer = client.post(f"{BASE}/requests.json", data={"api_key": mine, "service_code": "sticker",
                                                         "lat": str(MARKT[0]), "long": str(MARKT[1])}).get_json()[0]
    report = db.session.scalar(select(Report).where(Report.public_id == answer["service_request_id"]))
    staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "verified"})
    assert client.get(f"{BASE}/servicerequestupdates.json", query_string={"api_key": mine}).get_json()
    assert client.get(f"{BASE}/servicerequestupdates.json", query_string={"api_key": theirs}).get_json() == []
    assert client.get(f"{BASE}/servicerequestupdates.xml").status_code == 403
    foreign = client.post(f"{BASE}/servicerequestupdates.json", data={
        "api_key": theirs, "service_request_id": answer["service_request_id"], "description": "x"})
    assert foreign.status_code == 404
    validate("errors", foreign.get_json())
    for data, word in (({"description": "x"}, "service_request_id"),
                       ({"service_request_id": answer["service_request_id"]}, "description"),
                       ({"service_request_id": answer["service_request_id"], "description": "x" * 2001}, "description"),
                       ({"service_request_id": answer["service_request_id"], "description": "x",
                         "media_url": "javascript:alert(1)"}, "media_url"),
                       ({"service_request_id": answer["service_request_id"], "description": "a\x00"}, "description")):
        resp = client.post(f"{BASE}/servicerequestupdates.xml", data={"api_key": mine, **data})
        assert resp.status_code == 400 and word in ET.fromstring(resp.data).findtext("error/description")
    assert db.session.scalar(select(func.count()).select_from(ReportComment)) == 0


def test_a_duplicate_follows_the_report_it_joined(client, staff_client):
    key = _key("Dup client")
    first = make_report(lat=MARKT[0], lon=MARKT[1])
    db.session.commit()
    dup = client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "graffiti",
                                                      "lat": str(MARKT[0]), "long": str(MARKT[1])}).get_json()[0]
    assert first.public_id in dup["service_notice"]
    staff_client.post(f"/staff/jobs/{first.id}/status", data={"to": "verified", "public_message": "Ist geplant."})
    updates = client.get(f"{BASE}/servicerequestupdates.json", query_string={"api_key": key}).get_json()
    validate("service_request_updates", updates)
    assert [(u["service_request_id"], u["status"]) for u in updates] == [(dup["service_request_id"],
                                                                          "investigating")]
    assert first.public_id in updates[0]["description"] and "Ist geplant." in updates[0]["description"]
    shown = client.get(f"{BASE}/requests/{dup['service_request_id']}.json").get_json()
    validate("service_requests", shown)
    assert shown[0]["status"] == "open" and first.public_id in shown[0]["service_notice"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_list_limits_are_signalled_and_paging_by_time_window_gets_everything(client, monkeypatch, fmt):
    monkeypatch.setattr(svc, "MAX_RESULTS", 3)
    now = datetime.now(UTC)
    made = {make_report(lat=offset(*MARKT, north_m=60 * i)[0], lon=MARKT[1],
                        created_at=now - timedelta(days=1, minutes=7 * i)).public_id for i in range(8)}
    db.session.commit()
    seen, url, pages = [], f"{BASE}/requests.{fmt}", 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["X-Open311-Limit"] == "3"
        entries = resp.get_json() if fmt == "json" else _xml_list(resp, "service_requests", "request")
        if fmt == "json":
            validate("service_requests", entries)
        assert len(entries) <= 3
        seen += [e["service_request_id"] for e in entries]
        pages += 1
        if resp.headers["X-Open311-Truncated"] == "true":
            assert len(entries) == 3
            link = resp.headers["Link"]
            assert link.endswith('>; rel="next"') and "end_date=" in link
            parts = urlsplit(link[1:link.index(">")])
            url = f"{parts.path}?{parts.query}"
        else:
            assert "Link" not in resp.headers
            url = None
    assert set(seen) >= made and pages >= 3


@pytest.mark.parametrize("params", [{"start_date": "9999-12-31"}, {"end_date": "0001-01-01T00:00:00Z"}])
def test_absurd_dates_are_a_400_not_a_500(client, params):
    for path in ("requests", "servicerequestupdates"):
        resp = client.get(f"{BASE}/{path}.json", query_string={"api_key": _key("d"), **params})
        assert resp.status_code == 400, (path, resp.get_data(as_text=True))
        validate("errors", resp.get_json())


def test_the_open311_openapi_document_lists_exactly_the_routes_and_matches_the_answers(app, client):
    import re

    import jsonschema_rs

    doc = client.get(f"{BASE}/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/open311/v2"}]
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{BASE}/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(BASE):])
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    key = _key("Doc client")
    created = client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "graffiti",
                                                           "lat": str(MARKT[0]), "long": str(MARKT[1])}).get_json()
    shown = client.get(f"{BASE}/requests.json").get_json()
    for schema_name, body in (("ServiceRequestCreated", created[0]), ("ServiceRequest", shown[0])):
        jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{schema_name}",
                                     "components": doc["components"]}).validate(body)
    assert "/open311/v2/openapi.json" in client.get("/api/v1/openapi.json").get_json()["info"]["description"]


def test_updates_page_by_time_window_like_the_request_lists(client, monkeypatch):
    from app.services.core import workflow

    monkeypatch.setattr(svc, "MAX_RESULTS", 2)
    key = _key("Paging client")
    filed = client.post(f"{BASE}/requests.json", data={"api_key": key, "service_code": "graffiti",
                                                        "lat": str(MARKT[0]), "long": str(MARKT[1])}).get_json()[0]
    report = db.session.scalar(select(Report).where(Report.public_id == filed["service_request_id"]))
    start = datetime.now(UTC) - timedelta(hours=3)
    for i, to in enumerate(("verified", "scheduled", "verified", "scheduled", "removed")):
        workflow.change_status(report, to, at=start + timedelta(minutes=10 * i))
    db.session.commit()
    seen, url = [], f"{BASE}/servicerequestupdates.xml?api_key={key}"
    while url:
        resp = client.get(url)
        entries = _xml_list(resp, "service_request_updates", "request_update")
        assert len(entries) <= 2
        seen += [(e["update_id"], e["status"]) for e in entries]
        if resp.headers["X-Open311-Truncated"] == "true":
            parts = urlsplit(resp.headers["Link"][1:resp.headers["Link"].index(">")])
            assert "api_key" not in parts.query                     # the key is never echoed into a link
            url = f"{parts.path}?{parts.query}&api_key={key}"
        else:
            url = None
    assert len(set(seen)) == 5
    assert [s for _u, s in dict(seen).items()][0] == "fixed"        # newest first: the removal
