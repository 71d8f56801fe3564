"""The citizen report API against the real PostGIS: submit, snapping, duplicates, idempotency, public views."""
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from app.extensions import db
from app.models import Confirmation, IdempotencyKey, Photo, Report, StatusEvent
from app.services.core.workdays import local_today
from gis.projection import to_metric
from tests.factories import MARKT, NECKARSULM, SRID, count, field_errors, jpeg_bytes, make_building, offset, post


# -- submitting --------------------------------------------------------------------------------------------

def test_a_minimal_report_is_stored_with_district_target_and_audit_trail(client):
    resp = post(client, description="Große Schrift am Tor")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert set(body) >= {"id", "token", "status", "building", "duplicate_of"}
    assert body["status"] == "new" and body["building"] is None and body["duplicate_of"] is None
    assert len(body["token"]) >= 32 and resp.headers["Location"] == f"/api/v1/reports/{body['token']}"
    report = db.session.get(Report, body["id"])
    assert report.category == "graffiti" and report.description == "Große Schrift am Tor"
    assert report.source == "api" and report.district_id is not None
    assert report.priority == 3 and report.due_at > report.created_at   # no building: "other" target
    lon, lat = db.session.execute(select(func.ST_X(Report.location), func.ST_Y(Report.location))
                                  .where(Report.id == report.id)).one()
    assert (round(lat, 6), round(lon, 6)) == MARKT
    events = db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "new")]


def test_the_web_page_marks_its_reports_as_web(client):
    body = post(client, headers={"X-Report-Client": "web"}).get_json()
    assert db.session.get(Report, body["id"]).source == "web"


def test_offensive_content_gets_the_fastest_target(client):
    body = post(client, offensive="true", category="sticker").get_json()
    report = db.session.get(Report, body["id"])
    assert report.offensive and report.priority == 1
    assert report.due_at - report.created_at == timedelta(hours=24)


def test_snaps_to_the_building_containing_the_point(client):
    b = make_building(*MARKT, owner_type="municipal", address="Marktplatz 7, Heilbronn", name="Rathaus")
    body = post(client).get_json()
    assert body["building"] == {"id": b.id, "address": "Marktplatz 7, Heilbronn", "name": "Rathaus",
                                "owner_type": "municipal"}
    report = db.session.get(Report, body["id"])
    assert report.building_id == b.id and report.priority == 2 and report.address == "Marktplatz 7, Heilbronn"


def test_snaps_to_the_nearest_building_within_30_metres_only(client):
    near = make_building(*offset(*MARKT, east_m=25), size_m=10)      # edge 20 m away
    make_building(*offset(*MARKT, east_m=-33), size_m=10)            # edge 28 m away, but farther than `near`
    assert post(client).get_json()["building"]["id"] == near.id
    lat, lon = offset(*MARKT, north_m=300)
    make_building(*offset(lat, lon, east_m=40), size_m=10)           # edge 35 m away: too far
    assert post(client, lat=str(lat), lon=str(lon)).get_json()["building"] is None


def test_a_second_report_on_the_same_building_is_kept_as_a_duplicate(client):
    b = make_building(*MARKT, size_m=30)
    first = post(client).get_json()
    lat, lon = offset(*MARKT, east_m=12)   # same building, 12 m away
    second = post(client, lat=str(lat), lon=str(lon), category="sticker")
    assert second.status_code == 201
    body = second.get_json()
    assert body["duplicate_of"] == first["id"] and body["status"] == "duplicate"
    assert body["building"]["id"] == b.id
    assert count(Report) == 2   # nothing is lost
    status = client.get(f"/api/v1/reports/{first['token']}").get_json()
    assert status["confirmations"] == 1


def test_duplicates_within_15_metres_without_a_building(client):
    first = post(client).get_json()
    lat, lon = offset(*MARKT, east_m=10)
    assert post(client, lat=str(lat), lon=str(lon)).get_json()["duplicate_of"] == first["id"]
    lat, lon = offset(*MARKT, east_m=-20)
    assert post(client, lat=str(lat), lon=str(lon)).get_json()["duplicate_of"] is None


def test_old_or_finished_reports_are_not_duplicates(client):
    old = post(client).get_json()
    db.session.get(Report, old["id"]).created_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    fresh = post(client).get_json()
    assert fresh["duplicate_of"] is None
    db.session.get(Report, fresh["id"]).status = "removed"
    db.session.commit()
    assert post(client).get_json()["duplicate_of"] is None


def test_a_report_on_a_recently_cleaned_building_is_marked_retagged(client, staff_client):
    from app.models import Removal

    b = make_building(*MARKT)
    first = post(client).get_json()
    report = db.session.get(Report, first["id"])
    report.status = "removed"
    db.session.add(Removal(report_id=report.id, removed_on=local_today(), method="chemical",
                           area_m2=2, cost_eur=100))
    db.session.commit()
    body = post(client).get_json()
    assert body["building"]["id"] == b.id
    assert db.session.get(Report, body["id"]).retagged is True


def test_retagging_follows_workflow_is_retag(client):
    from app.models import Removal
    from app.services.core.workflow import RETAG_WINDOW, is_retag

    b = make_building(*MARKT)
    first = post(client).get_json()
    report = db.session.get(Report, first["id"])
    report.status = "closed"
    removal = Removal(report_id=report.id, method="paint_over", area_m2=1, cost_eur=50,
                      removed_on=(datetime.now(UTC) - RETAG_WINDOW - timedelta(days=5)).date())
    db.session.add(removal)
    db.session.commit()
    now = datetime.now(UTC)
    assert is_retag(b.id, now) is False
    assert db.session.get(Report, post(client).get_json()["id"]).retagged is False
    removal.removed_on = (now - RETAG_WINDOW + timedelta(days=1)).date()
    db.session.commit()
    assert is_retag(b.id, now) is True
    assert db.session.get(Report, post(client, category="other").get_json()["id"]).retagged is True


@pytest.mark.parametrize("owner_type", ["municipal", "public", "private", None])
def test_priority_and_due_date_follow_the_sla_rules_of_the_building(client, owner_type):
    from app.services.core.sla import removal_target, targets_from_config

    if owner_type:
        make_building(*MARKT, owner_type=owner_type)
    report = db.session.get(Report, post(client).get_json()["id"])
    target = removal_target(report.created_at, False, owner_type, targets_from_config(client.application.config))
    assert (report.priority, report.due_at) == (target.priority, target.due_at)


# -- idempotency -------------------------------------------------------------------------------------------

def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(client):
    key = {"Idempotency-Key": "9c1f6a52-retry-test"}
    first = post(client, photos=[jpeg_bytes()], headers=key)
    again = post(client, photos=[jpeg_bytes()], headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert count(Report) == 1 and count(Photo) == 1 and count(StatusEvent) == 1
    assert db.session.get(IdempotencyKey, ("9c1f6a52-retry-test", "POST /api/v1/reports")).status_code == 201


def test_the_same_key_with_another_request_is_refused(client):
    key = {"Idempotency-Key": "reuse-key-1"}
    assert post(client, headers=key).status_code == 201
    resp = post(client, headers=key, category="other")
    assert resp.status_code == 422 and "Idempotency-Key" in field_errors(resp)
    assert count(Report) == 1


def test_a_failed_request_does_not_burn_its_key(client):
    key = {"Idempotency-Key": "fix-and-retry"}
    assert post(client, headers=key, category="nonsense").status_code == 400
    resp = post(client, headers=key)
    assert resp.status_code == 201 and count(Report) == 1


def test_a_malformed_idempotency_key_is_rejected(client):
    resp = post(client, headers={"Idempotency-Key": "x" * 201})
    assert resp.status_code == 400 and "Idempotency-Key" in field_errors(resp)
    assert count(Report) == 0


# -- validation: clear messages, nothing stored ----------------------------------------------------------

@pytest.mark.parametrize("fields, field, words", [
    ({"lat": str(NECKARSULM[0]), "lon": str(NECKARSULM[1])}, "location", "außerhalb von Heilbronn"),
    ({"lat": "abc"}, "lat", "keine Zahl"),
    ({"lon": "nan"}, "lon", "keine Zahl"),
    ({"lat": "inf"}, "lat", "keine Zahl"),
    ({"lat": "91"}, "lat", "zwischen -90 und 90"),
    ({"lon": "-181"}, "lon", "zwischen -180 und 180"),
    ({"lat": None, "lon": None}, "location", "Bitte geben Sie den Ort an"),
    ({"lon": None}, "lon", "gehören zusammen"),
    ({"category": "banksy"}, "category", "Unbekannte Kategorie"),
    ({"category": None}, "category", "Kategorie"),
    ({"description": "x" * 2001}, "description", "zu lang"),
    ({"email": "not-an-address"}, "email", "ungültig"),
    ({"offensive": "vielleicht"}, "offensive", "true"),
])
def test_bad_fields_are_named_with_a_clear_message(client, fields, field, words):
    resp = post(client, **fields)
    assert resp.status_code == 400
    errors = field_errors(resp)
    assert field in errors and words in errors[field], errors
    assert count(Report) == 0 and count(StatusEvent) == 0


def test_messages_follow_the_language(client):
    resp = client.post("/api/v1/reports", data={"lat": str(NECKARSULM[0]), "lon": str(NECKARSULM[1]),
                                                "category": "graffiti"}, headers={"Accept-Language": "en"})
    assert "outside Heilbronn" in field_errors(resp)["location"]


def test_all_problems_are_reported_at_once(client):
    errors = field_errors(post(client, lat="x", category="?", email="@"))
    assert {"lat", "category", "email"} <= set(errors)


def test_a_json_body_is_accepted_too(client):
    resp = client.post("/api/v1/reports", json={"lat": MARKT[0], "lon": MARKT[1], "category": "other",
                                                "offensive": True})
    assert resp.status_code == 201 and db.session.get(Report, resp.get_json()["id"]).offensive
    resp = client.post("/api/v1/reports", json=[1, 2])
    assert resp.status_code == 400


def test_no_csrf_token_is_needed_for_the_api(scratch_database, app):
    from app import create_app

    strict = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                         "WTF_CSRF_ENABLED": True, "UPLOAD_DIR": app.config["UPLOAD_DIR"]})
    with strict.app_context():
        resp = strict.test_client().get(f"/api/v1/reports/nearby?lat={MARKT[0]}&lon={MARKT[1]}")
        assert resp.status_code == 200
        # An unknown category fails validation (400), not the CSRF check: the view is exempt.
        resp = strict.test_client().post("/api/v1/reports", data={"lat": "1", "lon": "1", "category": "?"})
        assert resp.status_code == 400 and "category" in field_errors(resp)
        resp = strict.test_client().post("/api/v1/reports/unknown-token/confirm")
        assert resp.status_code == 404


# -- reading: status, nearby, confirm, map -----------------------------------------------------------------

def test_the_public_status_has_history_and_photos_but_no_personal_data(client):
    body = post(client, email="melder@example.org", description="Privat", photos=[jpeg_bytes()]).get_json()
    resp = client.get(f"/api/v1/reports/{body['token']}")
    assert resp.status_code == 200
    status = resp.get_json()
    text = resp.get_data(as_text=True)
    assert "melder@example.org" not in text and "email" not in text and "Privat" not in text
    assert status["status"] == "new" and [h["status"] for h in status["history"]] == ["new"]
    assert len(status["photos"]) == 1 and status["photos"][0]["thumb_url"].startswith("/media/")
    with client.get(status["photos"][0]["thumb_url"]) as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_an_unknown_token_is_a_json_404(client):
    resp = client.get("/api/v1/reports/does-not-exist")
    assert resp.status_code == 404 and resp.get_json()["errors"][0]["message"]


def test_nearby_lists_open_reports_within_50_metres(client):
    near = post(client, photos=[jpeg_bytes()]).get_json()
    lat, lon = offset(*MARKT, north_m=80)
    post(client, lat=str(lat), lon=str(lon))
    lat, lon = offset(*MARKT, east_m=30)
    closed = post(client, lat=str(lat), lon=str(lon)).get_json()
    db.session.get(Report, closed["id"]).status = "closed"
    db.session.commit()
    resp = client.get(f"/api/v1/reports/nearby?lat={MARKT[0]}&lon={MARKT[1]}")
    found = resp.get_json()["reports"]
    assert len(found) == 1 and "token" not in found[0] and near["token"] not in resp.get_data(as_text=True)
    assert found[0]["distance_m"] == 0 and found[0]["thumb_url"].startswith("/media/")
    assert "email" not in found[0] and "description" not in found[0]
    bad = client.get("/api/v1/reports/nearby?lat=north&lon=9.2")
    assert bad.status_code == 400 and "lat" in field_errors(bad)


def test_nearby_gives_a_confirmation_handle_not_the_status_token(client):
    """#12 finding 9: the handle confirms, opens no status page, cannot be forged; the answer keeps the token."""
    report = post(client).get_json()
    found = client.get(f"/api/v1/reports/nearby?lat={MARKT[0]}&lon={MARKT[1]}").get_json()["reports"]
    handle = found[0]["handle"]
    assert report["token"] not in handle and report["public_id"] not in handle   # opaque
    assert client.get(f"/api/v1/reports/{handle}").status_code == 404             # no status page
    assert client.get(f"/r/{handle}").status_code == 404
    confirmed = client.post(f"/api/v1/reports/{handle}/confirm")
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json() == {"handle": handle, "status": "new", "confirmations": 1}
    assert report["token"] not in confirmed.get_data(as_text=True)
    forged = handle[:-2] + ("AA" if not handle.endswith("AA") else "BB")
    assert client.post(f"/api/v1/reports/{forged}/confirm").status_code == 404
    assert count(Confirmation) == 1


def test_nearby_distances_are_rounded_to_5_metres_and_positions_to_the_grid(client):
    """#12 finding 9: six requests around a report no longer place it within 0.1 m."""
    lat, lon = offset(*MARKT, north_m=13, east_m=4)
    post(client, lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    features = client.get("/api/v1/reports?bbox=9.20,49.13,9.23,49.15").get_json()["features"]
    grid = {(f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]) for f in features}
    distances = set()
    for north, east in [(0, 0), (3, 0), (0, 3), (7, 1), (1, 7), (-4, -2)]:
        qlat, qlon = offset(*MARKT, north_m=north, east_m=east)
        found = client.get(f"/api/v1/reports/nearby?lat={qlat:.7f}&lon={qlon:.7f}").get_json()["reports"]
        assert len(found) == 1
        assert found[0]["distance_m"] % 5 == 0
        assert (found[0]["lat"], found[0]["lon"]) in grid    # the public map's position, not the exact one
        distances.add(found[0]["distance_m"])
    assert distances <= {5, 10, 15, 20}


def test_i_see_it_too_adds_a_confirmation(client):
    body = post(client).get_json()
    resp = client.post(f"/api/v1/reports/{body['token']}/confirm")
    assert resp.status_code == 200 and resp.get_json()["confirmations"] == 1
    resp = client.post(f"/api/v1/reports/{body['token']}/confirm", headers={"Idempotency-Key": "c-1"})
    again = client.post(f"/api/v1/reports/{body['token']}/confirm", headers={"Idempotency-Key": "c-1"})
    assert resp.get_json() == again.get_json() and again.get_json()["confirmations"] == 2
    assert count(Confirmation) == 2
    db.session.get(Report, body["id"]).status = "closed"
    db.session.commit()
    resp = client.post(f"/api/v1/reports/{body['token']}/confirm")
    assert resp.status_code == 409 and "abgeschlossen" in field_errors(resp)["token"]
    assert client.post("/api/v1/reports/nope/confirm").status_code == 404


def test_the_map_layer_is_geojson_with_approximate_positions_and_no_personal_data(client):
    body = post(client, email="melder@example.org", description="Tag XY an der Wand").get_json()
    lat, lon = offset(*MARKT, north_m=200)
    rejected = post(client, lat=str(lat), lon=str(lon)).get_json()
    db.session.get(Report, rejected["id"]).status = "rejected"
    db.session.commit()
    resp = client.get("/api/v1/reports?bbox=9.20,49.13,9.23,49.15")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    fc = resp.get_json()
    assert fc["type"] == "FeatureCollection" and [f["id"] for f in fc["features"]] == [body["public_id"]]
    assert len(body["public_id"]) == 16 and body["public_id"] != str(body["id"])  # not the sequential id
    feature = fc["features"][0]
    assert set(feature["properties"]) == {"category", "status", "open", "date"}
    text = resp.get_data(as_text=True)
    assert "melder@" not in text and "Tag XY" not in text and body["token"] not in text
    lon, lat = feature["geometry"]["coordinates"]
    shown = to_metric(Point(lon, lat), SRID)
    true = to_metric(Point(MARKT[1], MARKT[0]), SRID)
    assert 0 < shown.distance(true) <= 25 * 2 ** 0.5 / 2 + 0.01   # snapped to a 25 m grid
    assert client.get("/api/v1/reports?bbox=9.3,49.2,9.31,49.21").get_json()["features"] == []


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "9.3,49.1,9.2,49.2", "0,0,200,1", "nan,1,2,3"])
def test_a_bad_bbox_is_named(client, bbox):
    resp = client.get(f"/api/v1/reports?bbox={bbox}")
    assert resp.status_code == 400 and "bbox" in field_errors(resp)


def test_address_search_finds_buildings(client):
    make_building(*MARKT, address="Kaiserstraße 12, Heilbronn")
    results = client.get("/api/v1/addresses?q=kaiserstr").get_json()["results"]
    building = next(r for r in results if r["kind"] == "building")   # (after the street "Kaiserstraße")
    assert building["label"] == "Kaiserstraße 12, Heilbronn"
    assert abs(building["lat"] - MARKT[0]) < 0.0002 and abs(building["lon"] - MARKT[1]) < 0.0002
    assert client.get("/api/v1/addresses?q=%25%25").get_json()["results"] == []


def test_the_map_layer_selects_exactly_the_reports_in_the_box(client):
    # The look-up goes through the metric index (box clipped to the city, transformed, widened) and must
    # still select exactly what a plain WGS84 box test selects: here points 1 m inside and outside box edges.
    lat0, lon0 = MARKT
    box = (lon0 - 0.01, lat0 - 0.005, lon0 + 0.01, lat0 + 0.005)
    inside = [(lat0, lon0), (lat0 - 0.0049, lon0 - 0.0099), (lat0 + 0.0049, lon0 + 0.0099)]
    outside = [(lat0 + 0.005 + 9e-6, lon0), (lat0 - 0.005 - 9e-6, lon0),        # ~1 m beyond each edge
               (lat0, lon0 + 0.01 + 1.4e-5), (lat0, lon0 - 0.01 - 1.4e-5)]
    spots = inside + outside
    ids = {}
    for i, (lat, lon) in enumerate(spots):
        ids[post(client, lat=f"{lat:.7f}", lon=f"{lon:.7f}", category="other",
                 description=f"spot {i}").get_json()["public_id"]] = (lat, lon)
    assert len(ids) == len(spots)
    boxes = [box, (9.0, 49.0, lon0, lat0 + 0.001), (9.25, 49.1, 9.35, 49.16), (0.0, 0.0, 1.0, 1.0),
             (-180.0, -90.0, 180.0, 90.0)]
    for b in boxes:
        fc = client.get("/api/v1/reports?bbox=" + ",".join(map(str, b))).get_json()
        shown = {f["id"] for f in fc["features"]} & set(ids)
        expected = {i for i, (lat, lon) in ids.items() if b[0] <= lon <= b[2] and b[1] <= lat <= b[3]}
        assert shown == expected, b
    assert len({i for i, (lat, lon) in ids.items() if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]}) == 3
