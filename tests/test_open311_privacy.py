"""#12 findings 1 and 12 (Open311 parts): Open311 shows no more than the public map; random public ids; text
only after staff released it; Open311 POST counts towards the per-address limit; media_url and NUL bytes."""
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Report
from app.services.core.apikeys import create_api_key
from tests.factories import MARKT, make_report, offset, post

BASE = "/open311/v2"


@pytest.fixture
def api_key(app):
    _row, plain = create_api_key("Privacy test client")
    db.session.commit()
    return plain


def _ids(client, **params):
    body = client.get(f"{BASE}/requests.json", query_string=params).get_json()
    return {r["service_request_id"]: r for r in body}


def _map(client):
    fc = client.get("/api/v1/reports?bbox=9.10,49.08,9.30,49.22").get_json()
    return {f["id"]: tuple(f["geometry"]["coordinates"]) for f in fc["features"]}


def test_open311_shows_exactly_what_the_public_map_shows_also_by_id(client):
    now = datetime.now(UTC)
    shown = {
        "open": make_report(created_at=now - timedelta(days=3)),
        "removed_lately": make_report(created_at=now - timedelta(days=20), status="removed"),
    }
    hidden = {
        "rejected": make_report(created_at=now - timedelta(days=3), status="rejected"),
        "finished_long_ago": make_report(created_at=now - timedelta(days=60), status="closed"),
    }
    hidden["finished_long_ago"].updated_at = now - timedelta(days=91)
    db.session.commit()
    listed, on_map = _ids(client), _map(client)
    for name, r in shown.items():
        assert r.public_id in listed and r.public_id in on_map, name
        assert client.get(f"{BASE}/requests/{r.public_id}.json").status_code == 200
    for name, r in hidden.items():
        assert r.public_id not in listed and r.public_id not in on_map, name
        # asking by id does not skip the rule (the finding: by id, every report ever made came back)
        assert client.get(f"{BASE}/requests/{r.public_id}.xml").status_code == 404, name
        assert _ids(client, service_request_id=r.public_id) == {}, name
        assert client.get(f"{BASE}/requests/{r.id}.json").status_code == 404   # nor by the sequential id


def test_positions_are_the_public_maps_grid_not_the_exact_point(client):
    lat, lon = offset(*MARKT, north_m=7.3, east_m=11.9)
    r = make_report(lat=lat, lon=lon)
    db.session.commit()
    for fmt in ("json", "xml"):
        resp = client.get(f"{BASE}/requests/{r.public_id}.{fmt}")
        if fmt == "json":
            got = resp.get_json()[0]
            glat, glon = got["lat"], got["long"]
        else:
            req = ET.fromstring(resp.data).find("request")
            glat, glon = float(req.findtext("lat")), float(req.findtext("long"))
        assert (glon, glat) == _map(client)[r.public_id]
        assert (round(glat, 6), round(glon, 6)) != (round(lat, 6), round(lon, 6))
    exact = db.session.execute(text("SELECT ST_Distance(r.location_m, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, "
                                    ":lat), 4326), ST_SRID(r.location_m))) FROM reports r WHERE r.id = :id"),
                               {"lon": glon, "lat": glat, "id": r.id}).scalar()
    assert 0.5 < exact <= 25 * 2 ** 0.5 / 2 + 0.5   # moved onto the 25 m grid, never further than half a cell


def test_public_ids_are_random_and_the_same_everywhere(client):
    bodies = [post(client, lat=f"{la:.7f}", lon=f"{lo:.7f}").get_json()
              for la, lo in (offset(*MARKT, north_m=300 * i) for i in range(1, 4))]
    public = [b["public_id"] for b in bodies]
    assert len(set(public)) == 3 and all(len(p) == 16 and not p.isdigit() for p in public)
    assert {str(b["id"]) for b in bodies}.isdisjoint(public)
    assert set(public) <= set(_map(client)) and set(public) <= set(_ids(client))
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.public_id.is_(None))) == 0


def test_the_citizens_text_is_shown_only_after_staff_released_it(client, staff_client):
    r = make_report(description="Tel. 0711 99 am Tor", media_url="https://fms.example/p/1.jpeg")
    db.session.commit()
    before = client.get(f"{BASE}/requests/{r.public_id}.json").get_json()[0]
    assert before["description"] == "" and before["media_url"] == ""
    page = staff_client.get(f"/staff/jobs/{r.id}")
    assert page.status_code == 200 and b"publish-description" in page.data and b"csrf_token" in page.data
    assert staff_client.post(f"/staff/jobs/{r.id}/publish-description", data={"publish": "1"}).status_code == 302
    after = client.get(f"{BASE}/requests/{r.public_id}.json").get_json()[0]
    assert after["description"] == "Tel. 0711 99 am Tor" and after["media_url"] == "https://fms.example/p/1.jpeg"
    root = ET.fromstring(client.get(f"{BASE}/requests/{r.public_id}.xml").data)
    assert root.findtext("request/description") == "Tel. 0711 99 am Tor"
    db.session.refresh(r)
    assert r.description_published_by is not None
    staff_client.post(f"/staff/jobs/{r.id}/publish-description", data={"publish": "0"})
    assert client.get(f"{BASE}/requests/{r.public_id}.json").get_json()[0]["description"] == ""


def test_publishing_is_for_staff_only(client, police_client):
    r = make_report(description="secret")
    db.session.commit()
    for who in (client, police_client):
        assert who.post(f"/staff/jobs/{r.id}/publish-description", data={"publish": "1"}).status_code in (302, 403)
    db.session.refresh(r)
    assert r.description_published_at is None


def test_a_duplicate_reads_back_with_the_status_of_the_report_it_joined(client, api_key):
    first = post(client).get_json()
    answer = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti",
                                                         "lat": str(MARKT[0]), "long": str(MARKT[1])}).get_json()[0]
    assert first["public_id"] in answer["service_notice"]
    for fmt in ("json", "xml"):
        resp = client.get(f"{BASE}/requests/{answer['service_request_id']}.{fmt}")
        got = resp.get_json()[0] if fmt == "json" else {
            c.tag: c.text or "" for c in ET.fromstring(resp.data).find("request")}
        assert got["status"] == "open"                               # not "closed": the graffiti is still there
        assert first["public_id"] in got["status_notes"] and first["public_id"] in got["service_notice"]
    original = db.session.get(Report, first["id"])
    original.status = "rejected"
    db.session.commit()
    assert client.get(f"{BASE}/requests/{answer['service_request_id']}.json").status_code == 404


@pytest.mark.parametrize("field,value", [("description", "a\x00b"), ("service_code", "graffiti\x00"),
                                         ("email", "a@b.de\x00"), ("attribute[surface]", "\x00")])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_bytes_in_open311_fields_are_a_400(client, api_key, field, value, fmt):
    before = db.session.scalar(select(func.count()).select_from(Report))
    data = {"api_key": api_key, "service_code": "graffiti", "lat": str(MARKT[0]), "long": str(MARKT[1]),
            field: value}
    resp = client.post(f"{BASE}/requests.{fmt}", data=data)
    assert resp.status_code == 400
    assert field in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Report)) == before
    assert client.get(f"{BASE}/requests.{fmt}", query_string={"service_code": "a\x00"}).status_code == 400
    for path in ("tokens/a%00b", "requests/a%00b", "services/a%00b"):   # in the path: a 400, never a 500
        assert client.get(f"{BASE}/{path}.{fmt}").status_code == 400


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x.jpg", "http://", "https:///x",
                                 "//example.org/x.jpg", "https://exa mple.org/x.jpg", "file:///etc/passwd"])
def test_media_url_must_be_an_http_address(client, api_key, url):
    resp = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti",
                                                       "lat": str(MARKT[0]), "long": str(MARKT[1]), "media_url": url})
    assert resp.status_code == 400 and "media_url" in resp.get_json()[0]["description"]


def test_media_url_is_never_fetched(client, api_key, monkeypatch):
    import socket
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("the service must not fetch a client's media_url")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    resp = client.post(f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "graffiti",
                                                       "lat": str(MARKT[0]), "long": str(MARKT[1]),
                                                       "media_url": "http://169.254.169.254/latest/meta-data"})
    assert resp.status_code == 200
    report = db.session.scalar(select(Report).where(Report.public_id == resp.get_json()[0]["service_request_id"]))
    assert report.media_url == "http://169.254.169.254/latest/meta-data"


def test_open311_posts_count_towards_the_per_address_limit(apps_on_committing_db):
    app = apps_on_committing_db(REPORT_RATE_LIMIT="2/hour")
    with app.app_context():
        _row, key = create_api_key("Flood client")
        db.session.commit()
        db.session.remove()
    flood = app.test_client()
    flood.environ_base["REMOTE_ADDR"] = "93.184.216.40"

    def o311(n, fmt="json"):
        lat, lon = offset(*MARKT, north_m=150 * n, east_m=-900)
        return flood.post(f"{BASE}/requests.{fmt}", data={"api_key": key, "service_code": "graffiti",
                                                           "lat": f"{lat:.7f}", "long": f"{lon:.7f}"})
    assert o311(1).status_code == 200
    assert post(flood, lat=f"{offset(*MARKT, north_m=450, east_m=-900)[0]:.7f}",
                lon=f"{offset(*MARKT, north_m=450, east_m=-900)[1]:.7f}").status_code == 201  # same bucket
    refused = o311(4, "xml")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert ET.fromstring(refused.data).findtext("error/code") == "429"
    assert o311(5).get_json()[0]["code"] == 429
