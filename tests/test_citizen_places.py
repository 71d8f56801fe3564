"""Address search for the pin: places, streets and buildings with their district, each once; nearby open reports
with where they are and in which direction."""
from sqlalchemy import text

from app.extensions import db
from app.services.citizen import places
from tests.factories import MARKT, make_building, offset, post

BOECKINGEN = (49.1370, 9.1800)


def search(client, q, lang="de"):
    resp = client.get(f"/api/v1/addresses?q={q}&lang={lang}")
    assert resp.status_code == 200
    return resp.get_json()["results"]


def test_eight_identical_buildings_are_one_entry_and_the_street_is_found_too(client):
    for i in range(8):
        make_building(*offset(*MARKT, east_m=30 * i), address="Kaiserstraße 1")
    make_building(*offset(*MARKT, east_m=300), address="Kaiserstraße 10")
    results = search(client, "Kaiserstr")
    assert [(r["label"], r["kind"], r["district"]) for r in results] == [
        ("Kaiserstraße", "street", "Innenstadt"), ("Kaiserstraße 1", "building", "Innenstadt"),
        ("Kaiserstraße 10", "building", "Innenstadt")]
    street = results[0]   # in the middle of its buildings
    assert abs(street["lat"] - MARKT[0]) < 0.001 and MARKT[1] < street["lon"] < offset(*MARKT, east_m=300)[1]


def test_the_same_address_in_two_districts_is_told_apart_by_the_district(client):
    make_building(*MARKT, address="Hauptstraße 3")
    make_building(*BOECKINGEN, address="Hauptstraße 3")
    buildings = [r for r in search(client, "hauptstraße 3") if r["kind"] == "building"]
    assert sorted(r["district"] for r in buildings) == ["Böckingen", "Innenstadt"]


def test_places_streets_and_buildings_by_name_with_those_that_start_with_the_text_first(client):
    make_building(*MARKT, address="Marktplatz 7", name="Rathaus")
    make_building(*offset(*MARKT, north_m=200), address="Am Marktplatz 2")
    results = search(client, "Marktplatz")
    assert [(r["label"], r["kind"]) for r in results] == [
        ("Marktplatz", "street"), ("Rathaus, Marktplatz 7", "building"), ("Am Marktplatz", "street"),
        ("Am Marktplatz 2", "building")]
    assert [r["label"] for r in search(client, "rathaus")] == ["Rathaus, Marktplatz 7"]
    district = search(client, "Innenst")
    assert district[0] == {**district[0], "label": "Innenstadt", "kind": "district", "district": None}


def test_short_or_wildcard_queries_find_nothing(client):
    make_building(*MARKT, address="Marktplatz 7")
    assert search(client, "Ma") == [] and search(client, "%25%25%25") == [] and search(client, "___") == []


def test_another_kind_of_place_is_one_registered_source_and_a_missing_table_is_skipped(client):
    db.session.execute(text("CREATE TABLE test_osm_places (name text, geom geometry(Point, 4326))"))
    db.session.execute(text("INSERT INTO test_osm_places VALUES ('Kiliansplatz', ST_SetSRID(ST_MakePoint(9.2190, "
                            "49.1420), 4326))"))
    source = places.PlaceSource("place", "test_osm_places", """
        SELECT name AS label, NULL AS district, ST_Y(geom) AS lat, ST_X(geom) AS lon, name ILIKE :start AS starts
        FROM test_osm_places
        WHERE name ILIKE :p LIMIT :limit""")
    missing = places.PlaceSource("place", "no_such_table", "SELECT broken")
    places.register_place_source(source, before="street")
    places.register_place_source(missing)
    try:
        assert search(client, "kilian") == [{"label": "Kiliansplatz", "kind": "place", "district": None,
                                             "lat": 49.142, "lon": 9.219}]
    finally:
        places.PLACE_SOURCES.remove(source)
        places.PLACE_SOURCES.remove(missing)


def test_nearby_reports_say_where_they_are_and_in_which_direction(client):
    here = post(client).get_json()
    north_east = offset(*MARKT, east_m=6, north_m=6)
    post(client, lat=str(north_east[0]), lon=str(north_east[1]))   # a duplicate of the first: not listed
    lat, lon = offset(*MARKT, east_m=-35)
    west = post(client, lat=str(lat), lon=str(lon)).get_json()
    from_point = offset(*MARKT, east_m=-5)
    found = client.get(f"/api/v1/reports/nearby?lat={from_point[0]}&lon={from_point[1]}").get_json()["reports"]
    assert [(r["distance_m"], r["direction"]) for r in found] == [(5, "e"), (30, "w")]
    # an opaque confirmation handle, never another reporter's status token
    assert all("token" not in r and r["handle"] not in (here["token"], west["token"]) for r in found)
    # the position on the public 25 m grid: within half a cell's diagonal (17.7 m) of the real one
    assert abs(found[1]["lat"] - lat) * 111_200 <= 17.7 and abs(found[1]["lon"] - lon) * 72_800 <= 17.7
    same_spot = client.get(f"/api/v1/reports/nearby?lat={MARKT[0]}&lon={MARKT[1]}").get_json()["reports"]
    assert same_spot[0]["distance_m"] == 0 and same_spot[0]["direction"] is None
