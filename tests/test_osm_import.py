"""`flask import-osm` on real OpenStreetMap extracts: buildings, addresses and streets as in the file, an
idempotent re-import, and street distances on the imported network."""
import csv
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from app.extensions import db
from app.models import Building
from app.models_osm import OsmImport, Street
from app.services.citizen import places
from app.services.core import streets
from tests.conftest import migrated_app

DATA = Path(__file__).parent / "data" / "osm"
KIRCHBERG = DATA / "kirchberg-an-der-iller.osm"
OAKLAND = DATA / "west-oakland.osm.bz2"


def _file_facts(root):
    """What the OSM XML itself says, read without pyosmium: nodes, building elements and highway ways."""
    nodes = {n.get("id") for n in root.iter("node")}
    ways = {w.get("id"): w for w in root.iter("way")}

    def tags(el):
        return {t.get("k"): t.get("v") for t in el.iter("tag")}

    buildings, highways = {}, {}
    for wid, w in ways.items():
        refs = [nd.get("ref") for nd in w.iter("nd")]
        complete = all(r in nodes for r in refs)
        if "building" in tags(w):
            buildings[f"w{wid}"] = (tags(w), complete and len(refs) >= 4 and refs[0] == refs[-1])
        if "highway" in tags(w):
            highways[int(wid)] = (tags(w), sum(r in nodes for r in refs) >= 2 and complete)
    for r in root.iter("relation"):
        if "building" in tags(r):
            members = [m.get("ref") for m in r.iter("member") if m.get("type") == "way"]
            buildings[f"r{r.get('id')}"] = (tags(r), all(m in ways for m in members))
    highway_nodes = [n for n in root.iter("node") if "highway" in tags(n)]
    return buildings, highways, highway_nodes


def _address_nodes(root):
    """(address, point) of the nodes with an address of their own."""
    out = []
    for n in root.iter("node"):
        tags = {t.get("k"): t.get("v") for t in n.iter("tag")}
        if "addr:housenumber" in tags:
            out.append((f"{tags['addr:street']} {tags['addr:housenumber']}",
                        shapely.Point(float(n.get("lon")), float(n.get("lat")))))
    return out


def _snapshot():
    """Every row the import writes, in full (ids, values, geometry), to compare two runs."""
    return {t: db.session.execute(text(q)).all() for t, q in {
        "buildings": "SELECT id, osm_id, name, address, owner_type, usage, district_id, ST_AsEWKB(footprint), "
                     "ST_AsEWKB(footprint_m) FROM buildings ORDER BY id",
        "streets": "SELECT id, osm_id, name, ref, highway, oneway, speed_kmh, routable, ST_AsEWKB(geom), "
                   "ST_AsEWKB(geom_m) FROM streets ORDER BY id",
        "edges": "SELECT id, street_id, source, target, ST_AsEWKB(geom), ST_AsEWKB(geom_m) FROM street_edges "
                 "ORDER BY id",
        "places": "SELECT id, osm_id, name, kind, ST_AsEWKB(geom) FROM places ORDER BY id"}.items()}


def _city_app(scratch_database, tmp_path_factory, name, boundary, **config):
    return migrated_app(scratch_database(), tmp_path_factory.mktemp(name), CITY_NAME=name, CITY_SLUG=name.lower(),
                        CITY_BOUNDARY_FILE=str(boundary), CITY_ATTRIBUTION="", **config)


def _import(application, path, tmp_path):
    rejects = tmp_path / f"{path.name}.rejects.csv"
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["import-osm", str(path), "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    with rejects.open(encoding="utf-8") as f:
        return result, list(csv.DictReader(f))


def _imported_city(scratch_database, tmp_path_factory, name, boundary, osm_file, **config):
    """(app, command output, rejects) of a city on its own database with `osm_file` imported once."""
    application = _city_app(scratch_database, tmp_path_factory, name, boundary, **config)
    out, rejects = _import(application, osm_file, tmp_path_factory.mktemp(f"{name}-rejects"))
    yield application, out.output, rejects
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def kirchberg(scratch_database, tmp_path_factory):
    """Kirchberg an der Iller (its extract's bounds as boundary), imported once."""
    yield from _imported_city(scratch_database, tmp_path_factory, "Kirchberg",
                              DATA / "kirchberg-an-der-iller.boundary.geojson", KIRCHBERG, CITY_SRID=25832)


def test_kirchberg_buildings_and_addresses_are_those_of_the_file(kirchberg):
    application, output, rejects = kirchberg
    buildings, _, _ = _file_facts(ET.parse(KIRCHBERG).getroot())
    assert len(buildings) == 34
    usable = {k for k, (_, ok) in buildings.items() if ok}
    with application.app_context():
        rows = {b.osm_id: b for b in db.session.scalars(select(Building))}
        assert set(rows) == usable and len(rows) == 32  # one outline crosses itself: repaired
        rejected = {r["element"]: r["reason"] for r in rejects}
        for osm_id in set(buildings) - usable:  # clipped: nodes or member ways missing from the extract
            element = f"{'way' if osm_id[0] == 'w' else 'relation'} {osm_id[1:]}"
            assert element in rejected, element
        with_address = {k for k, (t, _) in buildings.items() if "addr:housenumber" in t}
        assert len(with_address) == 17
        (node_address, node_point), = _address_nodes(ET.parse(KIRCHBERG).getroot())  # the 18th address
        for osm_id, b in rows.items():
            tags = buildings[osm_id][0]
            expected = f"{tags['addr:street']} {tags['addr:housenumber']}" if osm_id in with_address else None
            if to_shape(b.footprint).contains(node_point):
                assert expected is None
                expected = node_address
            assert b.address == expected, osm_id
            assert b.owner_type == "private" and b.name is None
        assert sum(b.address is not None for b in rows.values()) == 16  # of 18: two buildings are clipped
        # footprints are the file's outlines in the city's CRS: houses of tens to hundreds of square metres
        # (and one sliver the file draws as a triangle 5 m long and a few centimetres wide)
        areas = sorted(db.session.scalars(text("SELECT ST_Area(footprint_m) FROM buildings")).all())
        assert 0 < areas[0] < 1 < 10 < areas[1] and 50 < areas[16] < 500 and areas[-1] < 2000
    assert "buildings: 32 created" in output


def test_kirchberg_streets_are_those_of_the_file(kirchberg):
    application, _, rejects = kirchberg
    _, highways, highway_nodes = _file_facts(ET.parse(KIRCHBERG).getroot())
    assert len(highways) + len(highway_nodes) == 20  # 19 ways and a turning circle
    with application.app_context():
        rows = {s.osm_id: s for s in db.session.scalars(select(Street))}
        usable = {k for k, (_, ok) in highways.items() if ok}
        assert set(rows) == usable and len(rows) == 14
        for osm_id, s in rows.items():
            tags = highways[osm_id][0]
            assert (s.name, s.highway) == (tags.get("name"), tags["highway"])
            assert s.speed_kmh == float(tags.get("maxspeed", {"residential": 30, "service": 15, "track": 10}
                                                 [tags["highway"]]))
            assert s.routable and s.oneway == 0
        rejected = {r["element"] for r in rejects}
        assert {f"way {k}" for k in set(highways) - usable} <= rejected
        assert db.session.scalar(text("SELECT count(*) FROM street_edges")) >= 14


def test_the_rejects_file_lists_each_unusable_element_with_its_reason(kirchberg):
    _, _, rejects = kirchberg
    assert len(rejects) == 2 + 5
    assert all(r["reason"] for r in rejects)
    assert sum("fewer than two nodes" in r["reason"] for r in rejects) == 5


def test_a_reimport_changes_nothing(kirchberg, tmp_path):
    application, _, _ = kirchberg
    with application.app_context():
        before = _snapshot()
    out, _ = _import(application, KIRCHBERG, tmp_path)
    assert "buildings: 0 created, 0 updated, 32 unchanged; streets: 0 created, 0 updated, 14 unchanged" \
        in out.output
    with application.app_context():
        assert _snapshot() == before
        assert db.session.scalar(select(db.func.count()).select_from(OsmImport)) == 2


def test_address_search_finds_buildings_and_streets_once(kirchberg):
    application, _, _ = kirchberg
    with application.app_context():
        found = places.search_places("Haydnstr")
        kinds = [(r["kind"], r["label"]) for r in found]
        assert ("street", "Haydnstraße") in kinds
        assert ("building", "Haydnstraße 1") in kinds
        assert kinds.count(("street", "Haydnstraße")) == 1
        assert all(r["district"] is None for r in found)  # this test city has no districts


def _straight(application, a, b):
    with application.app_context():
        return db.session.scalar(text(
            "SELECT ST_Distance(ST_Transform(ST_SetSRID(ST_MakePoint(:alon, :alat), 4326), city_srid()), "
            "ST_Transform(ST_SetSRID(ST_MakePoint(:blon, :blat), 4326), city_srid()))"),
            {"alat": a[0], "alon": a[1], "blat": b[0], "blon": b[1]})


def _address_point(address):
    lon, lat = db.session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(footprint) p FROM buildings WHERE address = :a) q"),
        {"a": address}).one()
    return lat, lon


def test_street_distance_between_two_addresses_follows_the_network(kirchberg):
    application, _, _ = kirchberg
    with application.app_context():
        a, b = _address_point("Haydnstraße 7"), _address_point("Goethestraße 9")
        matrix = streets.distance_matrix([a, b])
        route = streets.path(a, b)
        edges = shapely.union_all(shapely.from_wkb([bytes(g) for g in db.session.scalars(
            text("SELECT ST_AsBinary(geom_m) FROM street_edges"))]))
        metric = db.session.scalar(text("SELECT ST_AsBinary(ST_Transform(ST_SetSRID(ST_GeomFromText(:w), 4326), "
                                        "city_srid()))"),
                                   {"w": shapely.LineString([(lon, lat) for lat, lon in route.points]).wkt})
    straight = _straight(application, a, b)
    assert matrix.shape == (2, 2) and matrix[0, 0] == matrix[1, 1] == 0
    assert matrix[0, 1] >= straight and matrix[1, 0] >= straight
    assert matrix[0, 1] > straight * 1.05  # the houses are not on one straight street
    assert math.isclose(route.distance_m, matrix[0, 1], rel_tol=1e-6)
    line = shapely.from_wkb(bytes(metric))
    assert math.isclose(line.length, route.distance_m, rel_tol=1e-3)
    # between the two straight walks from the house to the street and back, the path runs on the streets
    inner = shapely.LineString(line.coords[1:-1])
    assert inner.length > 0.6 * route.distance_m
    assert edges.buffer(0.05).covers(inner)


def test_without_a_network_there_are_no_street_distances(app):
    assert streets.distance_matrix([(49.14, 9.21), (49.15, 9.22)]) is None
    assert streets.path((49.14, 9.21), (49.15, 9.22)) is None


@pytest.fixture(scope="module")
def oakland(scratch_database, tmp_path_factory):
    """West Oakland, California: a US city (US-CA holidays, Pacific time, UTM zone 10N)."""
    yield from _imported_city(scratch_database, tmp_path_factory, "Oakland", DATA / "west-oakland.boundary.geojson",
                              OAKLAND, CITY_SRID=32610, CITY_TIMEZONE="America/Los_Angeles", CITY_HOLIDAYS="US-CA")


def test_west_oakland_buildings_and_streets_are_those_of_the_file(oakland):
    import bz2

    application, output, rejects = oakland
    buildings, highways, _ = _file_facts(ET.fromstring(bz2.decompress(OAKLAND.read_bytes())))
    with application.app_context():
        rows = {b.osm_id: b for b in db.session.scalars(select(Building))}
        assert set(rows) == {k for k, (_, ok) in buildings.items() if ok} and len(rows) == 23
        street_rows = {s.osm_id: s for s in db.session.scalars(select(Street))}
        assert set(street_rows) == {k for k, (_, ok) in highways.items() if ok}
        for osm_id, s in street_rows.items():
            tags = highways[osm_id][0]
            assert (s.name, s.ref, s.highway) == (tags.get("name"), tags.get("ref"), tags["highway"])
            assert s.oneway == (1 if tags.get("oneway") == "yes" else 0)
            assert s.routable == (tags["highway"] not in ("footway", "cycleway", "path", "steps", "pedestrian"))
        assert any(s.oneway == 1 and s.routable for s in street_rows.values())
        assert rejects == []
        labels = [r["label"] for r in places.search_places("7th St")]
        assert labels.count("7th Street") == 1
        # a US address: the number first
        assert rows["w310612861"].address == "1666 7th Street"
        assert rows["w310612861"].name == "Western Service Workers Association Building"
        # two buildings named alike without an address are one search result
        assert [r["label"] for r in places.search_places("Main Post")] == ["Oakland Main Post Office"]


def test_every_map_page_carries_the_odbl_attribution_once_osm_data_are_loaded(kirchberg):
    application, _, _ = kirchberg
    c = application.test_client()
    for lang, text_ in (("de", "© OpenStreetMap-Mitwirkende, ODbL"), ("en", "© OpenStreetMap contributors, ODbL")):
        for page in ("/", "/map"):
            assert text_ in c.get(f"{page}?lang={lang}").get_data(as_text=True), page
    assert c.get("/api/v1/city?lang=de").get_json()["attribution"] == \
        "Gebäude und Straßen: © OpenStreetMap-Mitwirkende, ODbL"


def test_without_osm_data_maps_carry_only_the_city_attribution(client):
    assert "ODbL" not in client.get("/").get_data(as_text=True)
    assert "ODbL" not in client.get("/api/v1/city").get_json()["attribution"]
