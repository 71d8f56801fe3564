"""Density clusters are named by their street (or nearest address) and district, not only numbered."""
import csv
import io

from shapely.geometry import LineString
from sqlalchemy import text

from app.city import current_city
from app.extensions import db
from gis.projection import to_metric, to_wgs84
from shapely.geometry import Point
from tests.factories import make_building, offset, seed_reports


def _centre_metric():
    city = current_city()
    lat, lon = city.center
    return to_metric(Point(lon, lat), city.srid), city.srid


def _wgs84_wkt(geom_m):
    return to_wgs84(geom_m, current_city().srid).wkt


def _clusters(client, query=""):
    resp = client.get(f"/police/export/clusters.csv?eps=20&min_points=5{query}")
    assert resp.status_code == 200
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def test_clusters_are_named_by_street_address_and_district(app, police_client):
    c, _ = _centre_metric()
    # Cluster A (12 reports) at the centre: a named street 30 m north (another one 900 m away).
    # Cluster B (8 reports) 2 km east: no street near, a building with an address 20 m away.
    # Cluster C (6 reports) 2 km west: no street, no building; its district, if any.
    seed_reports([(i * 2.0, 0.0) for i in range(12)] + [(2000 + i * 2.0, 0.0) for i in range(8)]
                 + [(-2000 + i * 2.0, 0.0) for i in range(6)])
    db.session.execute(text(
        "INSERT INTO streets (osm_id, name, highway, oneway, speed_kmh, routable, geom) VALUES "
        "(1, 'Kaiserstraße', 'residential', 0, 30, true, ST_GeomFromText(:g, 4326)),"
        "(2, 'Ferne Straße', 'residential', 0, 30, true, ST_GeomFromText(:far, 4326))"),
        {"g": _wgs84_wkt(LineString([(c.x - 100, c.y + 30), (c.x + 100, c.y + 30)])),
         "far": _wgs84_wkt(LineString([(c.x - 100, c.y + 900), (c.x + 100, c.y + 900)]))})
    lat, lon = current_city().center
    make_building(*offset(lat, lon, east_m=2008, north_m=-20), size_m=10, address="Weinsberger Straße 7, Heilbronn")
    db.session.commit()
    rows = {int(r["reports"]): r for r in _clusters(police_client)}
    centre, east = _district_at(c.x, c.y), _district_at(c.x + 2000, c.y)
    assert centre and rows[12]["district"] == centre
    assert rows[12]["name"] == f"Kaiserstraße, {centre}" and rows[12]["street"] == "Kaiserstraße"
    assert rows[8]["name"] == ", ".join(x for x in ("bei Weinsberger Straße 7", east) if x) and rows[8]["street"] == ""
    west = _district_at(c.x - 2000, c.y)
    assert rows[6]["name"] == (west or f"Cluster {rows[6]['cluster']}")
    page = police_client.get("/police/?eps=20&min_points=5&lang=en").get_data(as_text=True)
    assert f"Kaiserstraße, {centre}" in page and "near Weinsberger Straße 7" in page
    frame = police_client.get("/police/map/frame?eps=20&min_points=5").get_data(as_text=True)
    assert f"Kaiserstraße, {centre}" in frame or f"Kaiserstra\\u00dfe, {centre}" in frame


def test_a_cluster_far_from_everything_is_numbered(app):
    from app.services.police.exports import place_name

    with app.test_request_context("/?lang=de"):
        assert place_name({"street": None, "address": None, "district": None}, 3) == "Cluster 3"
        assert place_name({"street": None, "address": "Marktplatz 1", "district": "Mitte"}, 3) == \
            "bei Marktplatz 1, Mitte"


def _district_at(x, y):
    """The district containing a metric point, found on the WGS84 geometry (independently of the export)."""
    return db.session.execute(text(
        "SELECT name FROM districts WHERE ST_Contains(geom, ST_GeomFromText(:p, 4326)) LIMIT 1"),
        {"p": _wgs84_wkt(Point(x, y))}).scalar()
