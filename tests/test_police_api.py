"""GET /api/v1/hotspots: role checks, bad parameters, GeoJSON with the parameters echoed back."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import text

from app.extensions import db
from tests.factories import seed_reports

TODAY = datetime.now(ZoneInfo("Europe/Berlin")).date()  # the city's calendar day, as the service counts


@pytest.fixture
def planted(app):
    rng = np.random.default_rng(11)
    hot = list(zip(rng.normal(0, 15, 60), rng.normal(0, 15, 60), strict=True))
    noise = list(zip(rng.uniform(-2500, 2500, 150), rng.uniform(-2500, 2500, 150), strict=True))
    return seed_reports(hot + noise)


def test_anonymous_gets_401_json_and_staff_403(client, staff_client):
    resp = client.get("/api/v1/hotspots?method=dbscan")
    assert resp.status_code == 401 and resp.get_json()["errors"]
    resp = staff_client.get("/api/v1/hotspots?method=dbscan")
    assert resp.status_code == 403 and resp.get_json()["errors"]


@pytest.mark.parametrize("query, field", [
    ("", "method"), ("method=magic", "method"), ("method=dbscan&eps=-3", "eps"), ("method=dbscan&eps=abc", "eps"),
    ("method=gistar&shape=triangle", "shape"), ("method=dbscan&from=2025-13-01", "from"),
    ("method=dbscan&from=2025-05-01&to=2025-04-01", "from"), ("method=dbscan&category=paint", "category"),
    ("method=dbscan&weekday=9", "weekday"), ("method=dbscan&hour=25", "hour"),
    ("method=dbscan&district=Atlantis", "district"),
    ("method=gistar&fdr=maybe", "fdr"), ("method=kde&bandwidth=0", "bandwidth"),
    ("method=gistar&inference=bayes", "inference"), ("method=gistar&permutations=10", "permutations"),
    ("method=gistar&permutations=100000", "permutations"),
])
def test_bad_parameters_get_400_with_errors(police_client, query, field):
    resp = police_client.get("/api/v1/hotspots?" + query)
    assert resp.status_code == 400
    errors = resp.get_json()["errors"]
    assert field in [e["field"] for e in errors] and all(e["message"] for e in errors)


def test_dbscan_finds_the_planted_cluster_and_echoes_parameters(police_client, planted):
    resp = police_client.get(f"/api/v1/hotspots?method=dbscan&eps=40&min_points=8&from={TODAY - timedelta(days=30)}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["type"] == "FeatureCollection"
    p = body["parameters"]
    assert (p["method"], p["eps_m"], p["min_points"], p["srid"]) == ("dbscan", 40, 8, 25832)
    assert "grid_m" not in p  # clustered on the exact positions, no snapping grid
    assert p["from"] == str(TODAY - timedelta(days=30)) and p["to"] == str(TODAY)
    clusters = body["features"]
    assert len(clusters) == 1 and clusters[0]["geometry"]["type"] == "Polygon"
    assert 55 <= clusters[0]["properties"]["reports"] <= 62
    lon, lat = clusters[0]["geometry"]["coordinates"][0][0]
    assert 9.0 < lon < 9.5 and 49.0 < lat < 49.3  # lon/lat order, WGS84


def test_dbscan_clusters_the_reports_as_st_clusterdbscan_does(police_client, planted):
    seed_reports([(600 + 7.0 * k, -400 + (k % 3) * 6.0) for k in range(40)])  # a chain next to the blob
    body = police_client.get(f"/api/v1/hotspots?method=dbscan&eps=12&min_points=4&from={TODAY - timedelta(days=30)}")
    body = body.get_json()
    rows = db.session.execute(text(
        "SELECT ST_ClusterDBSCAN(location_m, eps := 12, minpoints := 4) OVER () AS cid FROM reports "
        "WHERE location_m IS NOT NULL")).scalars().all()
    sizes = sorted((sum(1 for c in rows if c == cid) for cid in {c for c in rows if c is not None}), reverse=True)
    assert [f["properties"]["reports"] for f in body["features"]] == sizes
    assert body["summary"]["clustered_reports"] == sum(c is not None for c in rows) == sum(sizes)


def _centre(feature) -> np.ndarray:
    """A cell's centre in metres east/north of 0°E, 49°N (near enough for distances of a few hundred metres)."""
    ring = np.array(feature["geometry"]["coordinates"][0][:-1])
    lon, lat = ring.mean(axis=0)
    return np.array([lon * 111_320 * np.cos(np.radians(49.14)), (lat - 49) * 110_574])


def test_gistar_marks_the_planted_cells_hot(police_client, planted):
    blob = max(police_client.get("/api/v1/hotspots?method=gistar").get_json()["features"],
               key=lambda f: f["properties"]["reports"])
    assert blob["properties"]["reports"] >= 40
    # One blob in a city of about 5,000 cells: after FDR, permutation p-values need to go below 0.1 * 7 / 5,000,
    # which 999 permutations (smallest p 0.002) cannot; 99,999 can, and the normal approximation does too.
    for query, permutations in (("permutations=99999", 99999), ("inference=normal", 0)):
        resp = police_client.get("/api/v1/hotspots?method=gistar&cell=150&significant_only=true&" + query)
        body = resp.get_json()
        p = body["parameters"]
        assert resp.status_code == 200 and p["cell_m"] == 150 and p["grid"] == "hex" and p["statement"] is True
        assert p["permutations"] == permutations and p["inference"] == ("normal" if permutations == 0 else
                                                                       "permutation")
        hot = [f for f in body["features"] if f["properties"]["class"] > 0]
        assert all(f["properties"]["class"] != 0 for f in body["features"])
        assert body["summary"]["hot_cells"] == len(hot)
        # The hot cells are the blob's cell and its ring. (Conditional permutation keeps a cell's own count and
        # tests its neighbours, as esda does: a blob inside one cell makes its ring hot.)
        assert hot and max(np.hypot(*(_centre(f) - _centre(blob))) for f in hot) < 2 * 150
        if permutations == 0:
            assert blob["properties"]["cell"] in {f["properties"]["cell"] for f in hot}
    default = police_client.get("/api/v1/hotspots?method=gistar").get_json()["parameters"]
    assert (default["permutations"], default["seed"], default["smallest_p"]) == (999, 0, 0.002)


def test_too_few_reports_give_counts_without_classes(police_client):
    seed_reports([(0.0, 0.0), (5.0, 0.0), (10.0, 3.0), (400.0, 20.0), (410.0, 25.0)])
    for lang, words in (("de", "Zu wenige Meldungen"), ("en", "Too few reports")):
        body = police_client.get("/api/v1/hotspots?method=gistar&significant_only=true",
                                 headers={"Accept-Language": lang}).get_json()
        assert body["parameters"]["statement"] is False and body["summary"]["statement"] is False
        assert words in body["summary"]["message"] and body["summary"]["hot_cells"] is None
        cells = body["features"]
        assert sum(c["properties"]["reports"] for c in cells) == 5
        assert all(c["properties"]["class"] is None and c["properties"]["p"] is None
                   and c["properties"]["class_label"] == "too_few_reports" for c in cells)
    # The normal approximation, which called such cells "Hotspot 99 %", gets no classes either.
    body = police_client.get("/api/v1/hotspots?method=gistar&inference=normal").get_json()
    assert body["summary"]["statement"] is False and all(c["properties"]["class"] is None for c in body["features"])


def test_kde_states_the_bandwidth(admin_client, planted):
    resp = admin_client.get("/api/v1/hotspots?method=kde&bandwidth=120")
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["parameters"]["bandwidth_m"] == 120 and body["parameters"]["kernel"] == "gaussian"
    peak = max(body["features"], key=lambda f: f["properties"]["density"])
    assert peak["properties"]["density"] == pytest.approx(body["summary"]["peak_density"], rel=1e-3)


def test_filters_select_reports(police_client, planted):
    seed_reports([(3000, 3000)] * 12, category="sticker")
    resp = police_client.get("/api/v1/hotspots?method=dbscan&eps=30&min_points=10&category=sticker")
    body = resp.get_json()
    assert [f["properties"]["reports"] for f in body["features"]] == [12]
    assert body["parameters"]["category"] == ["sticker"]
    old = police_client.get(f"/api/v1/hotspots?method=dbscan&to={TODAY - timedelta(days=60)}").get_json()
    assert old["summary"]["reports"] == 0 and old["features"] == []


def test_cluster_figures_dates_buildings_and_retag_share(police_client):
    ids = seed_reports([(k * 2.0, 0.0) for k in range(12)], days_ago=20)
    b1, b2 = (db.session.execute(text(
        "INSERT INTO buildings (footprint, owner_type) VALUES (ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(9.2, "
        "49.14), 4326), 0.0001)), 'private') RETURNING id")).scalar() for _ in range(2))
    db.session.execute(text("UPDATE reports SET building_id = :b WHERE id = ANY(:ids)"), {"b": b1, "ids": ids[:6]})
    db.session.execute(text("UPDATE reports SET building_id = :b, retagged = true WHERE id = ANY(:ids)"),
                       {"b": b2, "ids": ids[6:8]})
    db.session.execute(text("UPDATE reports SET created_at = created_at - interval '10 days' WHERE id = :id"),
                       {"id": ids[3]})
    db.session.commit()
    body = police_client.get("/api/v1/hotspots?method=dbscan&eps=20&min_points=5").get_json()
    (cluster,) = body["features"]
    p = cluster["properties"]
    assert (p["reports"], p["buildings"], p["retagged_buildings"], p["retagged_share"]) == (12, 2, 1, 0.5)
    assert p["first"] == str(TODAY - timedelta(days=30)) or p["first"] == str(TODAY - timedelta(days=31))
    assert p["last"] in (str(TODAY - timedelta(days=20)), str(TODAY - timedelta(days=21)))
