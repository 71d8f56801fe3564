"""Open311 GeoReport v2: every endpoint in XML and JSON, errors, api keys, date windows."""
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Report
from app.services.core.apikeys import create_api_key, find_active_key, revoke_api_keys
from tests.factories import make_report

BASE = "/open311/v2"
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]


def xml(resp):
    assert resp.content_type.startswith("text/xml")
    assert resp.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(resp.data)


def open311_report(created_at, status="new", category="graffiti", **kw):
    """A report with the reporter's contact data (which Open311 must never show) and HTML in its description."""
    return make_report(created_at=created_at, status=status, category=category, reporter_email="secret@example.org",
                       reporter_name="Erika Mustermann", reporter_phone="0711 123",
                       description="Schriftzug <b>am</b> Rathaus", **kw)


def by_public_id(public_id: str) -> Report:
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


@pytest.fixture
def reports(app):
    now = datetime.now(UTC)
    stale = open311_report(now - timedelta(days=200), status="removed")
    stale.updated_at = now - timedelta(days=150)       # finished long ago: off the public map
    return {
        "recent_open": open311_report(now - timedelta(days=2), due_at=now + timedelta(days=1)),
        "recent_closed": open311_report(now - timedelta(days=5), status="closed", category="sticker"),
        "old": open311_report(now - timedelta(days=120)),  # still open: still on the public map
        "rejected": open311_report(now - timedelta(days=3), status="rejected"),
        "stale": stale,
    }


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery(client, fmt):
    resp = client.get(f"{BASE}/discovery.{fmt}")
    assert resp.status_code == 200
    if fmt == "json":
        body = resp.get_json()
        endpoint = body["endpoints"][0]
        assert body["contact"] and body["changeset"]
    else:
        root = xml(resp)
        assert root.tag == "discovery"
        endpoint = {e.tag: e for e in root.find("endpoints/endpoint")}
        endpoint = {"specification": endpoint["specification"].text, "url": endpoint["url"].text,
                    "formats": [f.text for f in endpoint["formats"]]}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")   # clients append services.xml to it
    assert "text/xml" in endpoint["formats"] and "application/json" in endpoint["formats"]


def test_services_in_both_formats(client):
    as_json = client.get(f"{BASE}/services.json").get_json()
    assert [s["service_code"] for s in as_json] == ["graffiti", "sticker", "scratching", "other"]
    for s in as_json:
        assert set(s) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert s["metadata"] is True and s["type"] == "realtime"
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == ["graffiti", "sticker", "scratching", "other"]
    assert root.find("service/metadata").text == "true"


def test_service_definition_in_both_formats(client):
    body = client.get(f"{BASE}/services/graffiti.json").get_json()
    assert body["service_code"] == "graffiti"
    codes = {a["code"]: a for a in body["attributes"]}
    assert set(codes) == {"surface", "offensive"}
    assert codes["offensive"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in codes["offensive"]["values"]} == {"true", "false"}
    root = xml(client.get(f"{BASE}/services/graffiti.xml"))
    assert root.tag == "service_definition"
    attrs = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["surface", "offensive"]
    assert attrs[0].findtext("variable") == "true" and attrs[0].findtext("order") == "1"
    assert [v.findtext("key") for v in attrs[1].findall("values/value")] == ["true", "false"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_service_is_a_404_in_the_spec_error_form(client, fmt):
    resp = client.get(f"{BASE}/services/potholes.{fmt}")
    assert resp.status_code == 404
    if fmt == "json":
        assert resp.get_json() == [{"code": 404, "description": resp.get_json()[0]["description"]}]
        assert "potholes" in resp.get_json()[0]["description"]
    else:
        root = xml(resp)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404" and "potholes" in root.findtext("error/description")


def test_unknown_format_and_route_answer_spec_errors(client):
    resp = client.get(f"{BASE}/services.yaml")
    assert resp.status_code == 404 and xml(resp).tag == "errors"
    resp = client.get(f"{BASE}/nothing.json")
    assert resp.status_code == 404 and resp.get_json()[0]["code"] == 404


def test_get_requests_default_window_is_the_last_90_days(client, reports):
    body = client.get(f"{BASE}/requests.json").get_json()
    ids = {r["service_request_id"] for r in body}
    assert reports["recent_open"].public_id in ids and reports["recent_closed"].public_id in ids
    assert reports["old"].public_id not in ids
    one = next(r for r in body if r["service_request_id"] == reports["recent_open"].public_id)
    assert set(one) == set(REQUEST_FIELDS)
    assert one["status"] == "open" and isinstance(one["lat"], float) and isinstance(one["long"], float)
    assert one["requested_datetime"].endswith("+00:00")
    assert one["expected_datetime"] is not None
    assert one["description"] == ""          # not released by staff


def test_get_requests_never_shows_personal_data(client, reports):
    for fmt in ("json", "xml"):
        text = client.get(f"{BASE}/requests.{fmt}").get_data(as_text=True)
        text += client.get(f"{BASE}/requests/{reports['recent_open'].public_id}.{fmt}").get_data(as_text=True)
        assert "secret@example.org" not in text and "Mustermann" not in text and "0711" not in text


def test_get_requests_filters(client, reports):
    closed = client.get(f"{BASE}/requests.json?status=closed").get_json()
    assert {r["service_request_id"] for r in closed} >= {reports["recent_closed"].public_id}
    assert all(r["status"] == "closed" for r in closed)
    stickers = client.get(f"{BASE}/requests.json?service_code=sticker").get_json()
    assert stickers and all(r["service_code"] == "sticker" for r in stickers)
    old_start = (datetime.now(UTC) - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old_end = (datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = client.get(f"{BASE}/requests.json", query_string={"start_date": old_start, "end_date": old_end}).get_json()
    assert [r["service_request_id"] for r in old] == [reports["old"].public_id]
    by_id = client.get(f"{BASE}/requests.json?service_request_id={reports['old'].public_id},"
                       f"{reports['recent_open'].public_id}")
    assert {r["service_request_id"] for r in by_id.get_json()} == {reports["old"].public_id,
                                                                   reports["recent_open"].public_id}


@pytest.mark.parametrize("params,message", [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
    ({"status": "pending"}, "status"),
    ({"service_code": "potholes"}, "potholes"),
    ({"service_request_id": "abc"}, "service_request_id"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_query_parameters_are_400_in_the_spec_form(client, params, message, fmt):
    resp = client.get(f"{BASE}/requests.{fmt}", query_string=params)
    assert resp.status_code == 400
    if fmt == "json":
        assert resp.get_json()[0]["code"] == 400 and message in resp.get_json()[0]["description"]
    else:
        assert message in xml(resp).findtext("error/description")


def test_single_request_in_xml_has_the_spec_elements(client, reports):
    root = xml(client.get(f"{BASE}/requests/{reports['recent_closed'].public_id}.xml"))
    assert root.tag == "service_requests"
    req = root.find("request")
    assert [child.tag for child in req] == REQUEST_FIELDS
    assert req.findtext("status") == "closed" and req.findtext("service_code") == "sticker"


def test_missing_request_is_404(client):
    assert client.get(f"{BASE}/requests/999999999.json").status_code == 404
    assert client.get(f"{BASE}/requests/{'1' * 30}.json").status_code == 404   # 30 digits: no 500
    assert xml(client.get(f"{BASE}/requests/abc.xml")).findtext("error/code") == "404"


def test_token_lookup(client, reports):
    report = reports["recent_open"]
    body = client.get(f"{BASE}/tokens/{report.token}.json").get_json()
    assert body == [{"service_request_id": report.public_id, "token": report.token}]
    assert client.get(f"{BASE}/tokens/nope.xml").status_code == 404


def test_jurisdiction_is_checked_when_configured(app, client, monkeypatch):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=anything").status_code == 200
    monkeypatch.setitem(app.config, "OPEN311_JURISDICTION_ID", "heilbronn.de")
    assert client.get(f"{BASE}/services.json?jurisdiction_id=heilbronn.de").status_code == 200
    resp = client.get(f"{BASE}/services.json?jurisdiction_id=stuttgart.de")
    assert resp.status_code == 404 and "stuttgart.de" in resp.get_json()[0]["description"]


def test_api_keys_are_hashed_and_revocable(app):
    row, plain = create_api_key("FixMyStreet Heilbronn")
    assert plain not in row.key_hash and len(plain) >= 40
    assert find_active_key(plain).id == row.id
    assert find_active_key(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert revoke_api_keys("FixMyStreet Heilbronn") == 1
    assert find_active_key(plain) is None


def test_api_key_cli(runner):
    created = runner.invoke(args=["create-api-key", "Klarschiff"])
    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    assert find_active_key(plain).name == "Klarschiff"
    listed = runner.invoke(args=["list-api-keys"])
    assert "Klarschiff" in listed.output and "active" in listed.output
    assert runner.invoke(args=["revoke-api-key", "Klarschiff"]).exit_code == 0
    assert find_active_key(plain) is None
    assert runner.invoke(args=["revoke-api-key", "Klarschiff"]).exit_code != 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_valid_api_key_is_403(client, fmt):
    data = {"service_code": "graffiti", "lat": "49.1418", "long": "9.2185"}
    resp = client.post(f"{BASE}/requests.{fmt}", data=data)
    assert resp.status_code == 403
    resp = client.post(f"{BASE}/requests.{fmt}", data={**data, "api_key": "not-a-key-at-all"})
    assert resp.status_code == 403
    text = resp.get_data(as_text=True)
    assert "api_key" in (json.loads(text)[0]["description"] if fmt == "json" else xml(resp).findtext(
        "error/description"))


def test_services_speak_english_on_request(client):
    body = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).get_json()
    assert body[1]["service_name"] == "Sticker / poster"  # the category label (app/labels.py)
    resp = client.get(f"{BASE}/requests.json?status=pending", headers={"Accept-Language": "en"})
    assert resp.get_json()[0]["description"] == "status must be 'open' or 'closed'."


@pytest.fixture
def api_key(app):
    _row, plain = create_api_key("Test client")
    db.session.commit()
    return plain


MARKTPLATZ = {"lat": "49.1418", "long": "9.2185"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_goes_through_the_citizen_pipeline(client, api_key, fmt):
    data = {"api_key": api_key, "service_code": "graffiti", **MARKTPLATZ, "description": "Tag am Tor",
            "email": "buerger@example.org", "first_name": "Erika", "last_name": "Mustermann", "phone": "07131 1",
            "attribute[offensive]": "true", "attribute[surface]": "door",
            "media_url": "https://example.org/photo.jpg"}
    resp = client.post(f"{BASE}/requests.{fmt}", data=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if fmt == "json":
        answer = resp.get_json()[0]
    else:
        root = xml(resp)
        assert root.tag == "service_requests"
        answer = {child.tag: child.text for child in root.find("request")}
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    report = by_public_id(answer["service_request_id"])
    assert report.source == "open311" and report.category == "graffiti" and report.offensive
    assert report.surface == "door" and report.reporter_name == "Erika Mustermann"
    assert report.reporter_phone == "07131 1" and report.reporter_email == "buerger@example.org"
    assert report.media_url == "https://example.org/photo.jpg"
    assert report.priority == 1 and report.due_at is not None          # offensive: the 24 h target
    assert [e.to_status for e in report.events] == [report.status]     # the audit trail starts
    assert report.api_key_id == find_active_key(api_key).id
    shown = client.get(f"{BASE}/requests/{report.public_id}.json").get_json()[0]
    assert shown["media_url"] == "" and shown["description"] == "" and shown["status"] == "open"
    assert "Mustermann" not in json.dumps(shown) and "buerger@" not in json.dumps(shown)


def test_post_request_appears_in_the_staff_queue_like_a_web_report(client, staff_client, api_key):
    web = client.post("/api/v1/reports", data={"lat": "49.1500", "lon": "9.2000", "category": "sticker"})
    assert web.status_code == 201
    o311 = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "sticker",
                                                       "lat": "49.1300", "long": "9.2300"})
    assert o311.status_code == 200
    jobs = staff_client.get("/api/v1/staff/jobs?category=sticker&per_page=500").get_json()["jobs"]
    ids = {j["id"] for j in jobs}
    assert web.get_json()["id"] in ids
    o311_id = by_public_id(o311.get_json()[0]["service_request_id"]).id
    assert o311_id in ids
    web_job = next(j for j in jobs if j["id"] == web.get_json()["id"])
    o311_job = next(j for j in jobs if j["id"] == o311_id)
    assert set(web_job) == set(o311_job) and web_job["status"] == o311_job["status"] == "new"


def test_post_duplicate_is_linked_like_the_citizen_api(client, api_key):
    first = client.post("/api/v1/reports", data={"lat": "49.1418", "lon": "9.2185", "category": "graffiti"})
    assert first.status_code == 201
    again = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti",
                                                        "lat": "49.14181", "long": "9.21851"})
    assert again.status_code == 200
    body = again.get_json()[0]
    report = by_public_id(body["service_request_id"])
    assert report.duplicate_of_id == first.get_json()["id"]
    assert "bereits gemeldet" in body["service_notice"] and first.get_json()["public_id"] in body["service_notice"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("data,status,message", [
    ({"service_code": "graffiti", "lat": "49.1920", "long": "9.2255"}, 400, "außerhalb von Heilbronn"),
    ({"service_code": "graffiti", "lat": "north", "long": "9.2"}, 400, "lat"),
    ({"service_code": "graffiti"}, 400, "address_string"),
    ({"lat": "49.1418", "long": "9.2185"}, 400, "service_code"),
    ({"service_code": "potholes", "lat": "49.1418", "long": "9.2185"}, 404, "potholes"),
    ({"service_code": "graffiti", **MARKTPLATZ, "attribute[offensive]": "maybe"}, 400, "offensive"),
    ({"service_code": "graffiti", **MARKTPLATZ, "attribute[surface]": "roof"}, 400, "surface"),
    ({"service_code": "graffiti", **MARKTPLATZ, "media_url": "file:///etc/passwd"}, 400, "media_url"),
    ({"service_code": "graffiti", **MARKTPLATZ, "email": "not-an-email"}, 400, "email"),
    ({"service_code": "graffiti", "address_string": "Nirgendwostraße 99"}, 400, "Nirgendwostraße"),
])
def test_post_bad_input_is_a_spec_error_and_stores_nothing(client, api_key, data, status, message, fmt):
    from sqlalchemy import func, select

    before = db.session.scalar(select(func.count()).select_from(Report))
    resp = client.post(f"{BASE}/requests.{fmt}", data={"api_key": api_key, **data})
    assert resp.status_code == status
    description = resp.get_json()[0]["description"] if fmt == "json" else xml(resp).findtext("error/description")
    assert message in description
    assert db.session.scalar(select(func.count()).select_from(Report)) == before


def test_post_by_address_string_uses_the_building_registry(app, client, api_key):
    from app.models import Building

    db.session.add(Building(address="Marktplatz 7, Heilbronn", owner_type="municipal", name="Rathaus",
                            footprint="SRID=4326;MULTIPOLYGON(((9.2183 49.1417, 9.2187 49.1417, 9.2187 49.1419,"
                                      " 9.2183 49.1419, 9.2183 49.1417)))"))
    db.session.commit()
    resp = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti",
                                                       "address_string": "Marktplatz 7"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    report = by_public_id(resp.get_json()[0]["service_request_id"])
    assert report.building.name == "Rathaus" and report.priority == 2  # municipal: 3 working days


def test_revoked_key_is_refused(client, api_key):
    revoke_api_keys("Test client")
    db.session.commit()
    resp = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti", **MARKTPLATZ})
    assert resp.status_code == 403
