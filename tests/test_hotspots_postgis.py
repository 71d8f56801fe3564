"""gis.dbscan.dbscan_points against PostGIS' own ST_ClusterDBSCAN on the same coordinates (a few thousand
points: blobs, spread, a chain, duplicates and points exactly eps apart)."""
import numpy as np
import pytest
from scipy.spatial import cKDTree
from sqlalchemy import text

from app.extensions import db
from gis.dbscan import NOISE, dbscan_points


def st_cluster_dbscan(x, y, eps, min_points):
    rows = db.session.execute(text(
        "SELECT ST_ClusterDBSCAN(ST_MakePoint(x, y), eps := :eps, minpoints := :m) OVER () FROM "
        "unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) WITH ORDINALITY AS p(x, y, i) ORDER BY i"),
        {"x": list(map(float, x)), "y": list(map(float, y)), "eps": eps, "m": min_points}).scalars().all()
    return np.array([NOISE if r is None else r for r in rows])


def points(seed):
    rng = np.random.default_rng(seed)
    x0, y0 = 514000.0, 5443000.0  # UTM-sized coordinates, as location_m holds them
    parts = [
        (rng.normal(0, 25, 1200), rng.normal(0, 25, 1200)),
        (rng.normal(300, 60, 1000), rng.normal(150, 40, 1000)),
        (rng.uniform(-600, 600, 1500), rng.uniform(-600, 600, 1500)),
        (np.cumsum(rng.uniform(3, 9, 150)) - 500, np.full(150, -300.0)),  # a chain
        (np.repeat([100.0, 400.0], 20), np.repeat([-200.0, -250.0], 20)),  # duplicates
        (rng.integers(-20, 20, 300) * 3.0 + 200, rng.integers(-20, 20, 300) * 4.0 - 450),  # 3-4-5 lattice
    ]
    return np.concatenate([p[0] for p in parts]) + x0, np.concatenate([p[1] for p in parts]) + y0


@pytest.mark.parametrize("seed, eps, min_points", [(1, 15.0, 5), (2, 25.0, 12), (3, 10.0, 3), (4, 20.0, 40)])
def test_same_clusters_as_st_clusterdbscan(app, seed, eps, min_points):
    x, y = points(seed)
    ours = dbscan_points(x, y, eps, min_points)
    theirs = st_cluster_dbscan(x, y, eps, min_points)
    pairs = cKDTree(np.column_stack((x, y))).query_pairs(eps + 1e-6, output_type="ndarray")
    dx, dy = x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]]
    pairs = pairs[np.sqrt(dx * dx + dy * dy) <= eps]  # PostGIS' point distance
    core = 1 + np.bincount(pairs.ravel(), minlength=len(x)) >= min_points
    assert np.array_equal(ours == NOISE, theirs == NOISE)
    matched = set(zip(ours[core], theirs[core], strict=True))
    assert len(matched) == len(set(ours[core])) == len(set(theirs[core]))
    # Border points: in the cluster of a core point they touch (ST_ClusterDBSCAN may pick another one).
    border = ~core & (ours != NOISE)
    a, b = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
    touching = border[a] & core[b] & (ours[a] == ours[b])
    assert set(a[touching].tolist()) == set(np.flatnonzero(border).tolist())
    assert len(set(ours[core])) >= 2 and border.sum() > 0  # the data do exercise clusters and border points
