"""Exact DBSCAN on raw metric points: equal to a brute-force DBSCAN (the definition ST_ClusterDBSCAN uses) on
random and adversarial data, through every path (bounds, exact counts, ring joins, border look-ups, sparse
fall-backs); planted clusters; cluster summaries."""
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gis import dbscan, dbscan_index
from gis.clusters import summarise_clusters
from gis.dbscan import NOISE, dbscan_points


def brute_force(x, y, eps, min_points):
    """Textbook DBSCAN: core flags (neighbours within eps, itself included), core components, eps-adjacency.
    Distances as PostGIS computes them: sqrt(dx * dx + dy * dy) <= eps."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dx, dy = x[:, None] - x[None], y[:, None] - y[None]
    adj = np.sqrt(dx * dx + dy * dy) <= eps
    core = adj.sum(1) >= min_points
    _, comp = connected_components(csr_matrix(adj & core[:, None] & core[None]), directed=False)
    return core, comp, adj


def assert_same_dbscan(labels, x, y, eps, min_points):
    """Same partition of the core points, same noise, every border point in a cluster of a core neighbour."""
    core, comp, adj = brute_force(x, y, eps, min_points)
    assert labels.shape == core.shape
    pairs = set(zip(labels[core].tolist(), comp[core].tolist(), strict=True))
    assert len(pairs) == len(set(labels[core].tolist())) == len(set(comp[core].tolist())), "core partition"
    reachable = (adj & core[None, :]).any(1)
    assert np.array_equal(labels == NOISE, ~reachable), "noise"
    for i in np.flatnonzero(~core & reachable):
        assert labels[i] in set(labels[np.flatnonzero(adj[i] & core)].tolist()), f"border point {i}"
    if core.any():  # clusters are numbered 0.. by falling number of core points
        sizes = np.bincount(labels[core])
        assert labels.max() + 1 == len(sizes) and np.all(np.diff(sizes) <= 0)
    return core


def data(kind, rng, n):
    if kind == "uniform":
        return rng.uniform(0, 400, n), rng.uniform(0, 400, n)
    if kind == "blobs":
        return (np.r_[rng.normal(200, 15, n), rng.normal(80, 25, n // 2), rng.uniform(0, 400, n // 2)],
                np.r_[rng.normal(150, 20, n), rng.normal(300, 10, n // 2), rng.uniform(0, 400, n // 2)])
    if kind == "lattice":  # integer 3-4-5 lattice: many distances of exactly eps, many duplicates
        return rng.integers(0, 40, n) * 3.0, rng.integers(0, 40, n) * 4.0
    if kind == "utm":  # coordinates of the size of UTM metres
        return 512000 + rng.normal(0, 30, n), 5440000 + rng.normal(0, 30, n)
    if kind == "chain":  # a chain of points a little under or over eps apart
        t = np.cumsum(rng.uniform(4, 11, n))
        return t, 20 * np.sin(t / 40) + rng.normal(0, 0.5, n)
    if kind == "duplicates":
        base = rng.uniform(0, 200, (max(n // 8, 1), 2))
        pick = base[rng.integers(0, len(base), n)]
        return pick[:, 0], pick[:, 1]
    if kind == "cell_edges":  # on the edges of the grid cells and at exactly eps from each other
        return rng.integers(0, 30, n) * 5.0, rng.integers(0, 30, n) * 2.5
    raise ValueError(kind)


KINDS = ["uniform", "blobs", "lattice", "utm", "chain", "duplicates", "cell_edges"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(6))
def test_equals_brute_force_dbscan(kind, seed):
    rng = np.random.default_rng(seed)
    x, y = data(kind, rng, int(rng.integers(50, 500)))
    eps = float(rng.choice([5.0, 10.0, 12.5, 25.0, 50.0]))
    min_points = int(rng.integers(1, 14))
    labels = dbscan_points(x, y, eps, min_points, cells_per_eps=int(rng.integers(2, 8)))
    assert_same_dbscan(labels, x, y, eps, min_points)


@pytest.mark.parametrize("seed", range(4))
def test_every_path_agrees_with_brute_force(seed, monkeypatch):
    """Binary search instead of dense rasters, tiny chunks and pair budgets: the same DBSCAN."""
    monkeypatch.setattr(dbscan_index, "FINE_LIMIT", 0)
    monkeypatch.setattr(dbscan_index, "DENSE_LIMIT", 0)
    monkeypatch.setattr(dbscan_index, "CHUNK", 7)
    monkeypatch.setattr(dbscan, "PAIR_BUDGET", 5)
    rng = np.random.default_rng(100 + seed)
    for kind in KINDS:
        x, y = data(kind, rng, 300)
        eps, min_points = float(rng.choice([10.0, 25.0])), int(rng.integers(2, 9))
        assert_same_dbscan(dbscan_points(x, y, eps, min_points), x, y, eps, min_points)


@pytest.mark.parametrize("limit", [60_000, 120_000])
def test_coarser_counting_raster_when_the_area_is_large(limit, monkeypatch):
    """A raster over the limit gets wider columns (fewer per cell), not a different answer."""
    monkeypatch.setattr(dbscan_index, "FINE_LIMIT", limit)
    frames, frame = [], dbscan_index.Frame

    def spy(*args):
        frames.append(frame(*args))
        return frames[-1]
    monkeypatch.setattr(dbscan_index, "Frame", spy)
    rng = np.random.default_rng(77)
    x, y = data("blobs", rng, 400)
    assert_same_dbscan(dbscan_points(x, y, 10.0, 6), x, y, 10.0, 6)
    assert frames[0].dense and frames[0].f < dbscan_index.FINE_COLUMNS


def test_the_paths_are_used(monkeypatch):
    """The data of these tests reach the exact steps, not only the bounds."""
    calls = set()

    def spy(name, original):
        def wrapper(*args):
            calls.add(name)
            return original(*args)
        return wrapper

    for name in ("_exact_core", "_join_ring", "_border"):
        monkeypatch.setattr(dbscan, name, spy(name, getattr(dbscan, name)))
    rng = np.random.default_rng(3)
    x, y = data("blobs", rng, 400)
    assert_same_dbscan(dbscan_points(x, y, 12.5, 6), x, y, 12.5, 6)
    assert calls == {"_exact_core", "_join_ring", "_border"}


def test_distance_of_exactly_eps_counts():
    # 3-4-5 triangles: (0, 0) and (30, 40) are exactly 50 apart.
    x, y = np.array([0.0, 30.0, 60.0, 90.0]), np.array([0.0, 40.0, 80.0, 120.0])
    assert dbscan_points(x, y, 50.0, 2).tolist() == [0, 0, 0, 0]
    assert dbscan_points(x, y, np.nextafter(50.0, 0), 2).tolist() == [NOISE] * 4
    assert dbscan_points(x, y, 50.0, 3).tolist() == [0, 0, 0, 0]  # the ends are border points
    assert dbscan_points(x + 512345.0, y + 5432100.0, 50.0, 3).tolist() == [0, 0, 0, 0]


def test_small_cases():
    assert dbscan_points([], [], 10.0, 3).tolist() == []
    assert dbscan_points([5.0], [5.0], 10.0, 1).tolist() == [0]
    assert dbscan_points([5.0], [5.0], 10.0, 2).tolist() == [NOISE]
    assert dbscan_points([1.0, 1.0, 1.0], [2.0, 2.0, 2.0], 10.0, 3).tolist() == [0, 0, 0]  # duplicates
    assert dbscan_points([0.0, 100.0, 200.0], [0.0] * 3, 10.0, 1).tolist() == [0, 1, 2]  # ties: first first
    with pytest.raises(ValueError):
        dbscan_points([0.0], [0.0], 0.0, 3)
    with pytest.raises(ValueError):
        dbscan_points([0.0], [0.0], 10.0, 3, cells_per_eps=1)


def test_one_cluster_across_many_cells_and_min_points_one():
    rng = np.random.default_rng(8)
    t = rng.uniform(0, 3000, 6000)
    x, y = t, 0.3 * t + rng.normal(0, 2, len(t))  # a long dense band: one cluster over hundreds of cells
    labels = dbscan_points(x, y, 10.0, 5)
    core = assert_same_dbscan(labels, x, y, 10.0, 5)
    assert core.mean() > 0.99 and set(labels.tolist()) == {0}
    xs, ys = data("uniform", rng, 400)
    assert_same_dbscan(dbscan_points(xs, ys, 12.0, 1), xs, ys, 12.0, 1)  # single linkage, no noise


def test_larger_random_set_against_a_kd_tree_reference():
    """20,000 points (too many for the dense brute force): core flags by a k-d tree, components likewise."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(21)
    centres = rng.uniform(0, 3000, (25, 2))
    k = rng.integers(0, 25, 14000)
    x = np.r_[centres[k, 0] + rng.normal(0, 40, 14000), rng.uniform(0, 3000, 6000)]
    y = np.r_[centres[k, 1] + rng.normal(0, 40, 14000), rng.uniform(0, 3000, 6000)]
    eps, min_points = 20.0, 25
    labels = dbscan_points(x, y, eps, min_points)
    tree = cKDTree(np.column_stack((x, y)))
    pairs = tree.query_pairs(eps + 1e-6, output_type="ndarray")
    dx, dy = x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]]
    pairs = pairs[np.sqrt(dx * dx + dy * dy) <= eps]
    count = 1 + np.bincount(pairs.ravel(), minlength=len(x))
    core = count >= min_points
    both = core[pairs[:, 0]] & core[pairs[:, 1]]
    graph = csr_matrix((np.ones(both.sum()), (pairs[both, 0], pairs[both, 1])), shape=(len(x), len(x)))
    _, comp = connected_components(graph, directed=False)
    matched = set(zip(labels[core], comp[core], strict=True))
    assert len(matched) == len(set(labels[core])) == len(set(comp[core]))
    touches = np.zeros(len(x), dtype=bool)
    one = pairs[core[pairs[:, 1]], 0], pairs[core[pairs[:, 0]], 1]
    touches[np.r_[one[0], one[1]]] = True
    assert np.array_equal(labels == NOISE, ~(core | touches))
    assert 10 <= labels.max() + 1 <= 25 and core.sum() > 5000


def test_planted_hotspots_are_found_and_uniform_noise_is_not():
    rng = np.random.default_rng(42)
    noise_x, noise_y = rng.uniform(0, 5000, 3000), rng.uniform(0, 5000, 3000)
    hot_x, hot_y = rng.normal(1200, 30, 300), rng.normal(3400, 30, 300)
    hot2_x, hot2_y = rng.normal(4000, 20, 150), rng.normal(900, 20, 150)
    x, y = np.r_[noise_x, hot_x, hot2_x], np.r_[noise_y, hot_y, hot2_y]
    labels = dbscan_points(x, y, eps=50, min_points=15)
    assert labels.max() + 1 == 2
    big = labels[3000:3300]
    small = labels[3300:]
    assert (big == 0).mean() > 0.9 and (small == 1).mean() > 0.9  # numbered by size
    assert (labels[:3000] == NOISE).mean() > 0.97
    only_noise = dbscan_points(noise_x, noise_y, eps=50, min_points=15)
    assert (only_noise == NOISE).all()


def test_cluster_summary_counts_dates_and_retagged_buildings():
    labels = np.array([0, 0, 0, 0, 1, 1, NOISE])
    x = np.array([0.0, 10, 0, 10, 500, 500, 900])
    y = np.array([0.0, 0, 10, 10, 500, 500, 900])
    days = np.array([5.0, 7, 3, 9, 1, 2, 0])
    building = np.array([11, 11, 12, 11, -1, -1, 11])
    retagged = np.array([True, False, False, False, False, True, True])
    out = summarise_clusters(labels, x, y, days, building, retagged)
    assert [c.label for c in out] == [0, 1]
    c = out[0]
    assert (c.count, c.first, c.last, c.buildings, c.retagged_buildings) == (4, 3, 9, 2, 1)
    assert c.retagged_share == 0.5
    assert c.hull.equals(c.hull.envelope) and c.hull.area == pytest.approx(100)  # the hull of the reports
    assert out[1].count == 2 and out[1].buildings == 0 and out[1].retagged_share is None
    assert out[1].hull.geom_type == "Polygon" and out[1].hull.contains(out[1].hull.centroid)  # one position
    assert summarise_clusters(np.array([NOISE]), [0.0], [0.0], [0.0], [-1], [False]) == []


def test_hull_keeps_every_report_inside():
    from shapely import contains_xy

    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 30, 5000), rng.normal(0, 10, 5000)
    (c,) = summarise_clusters(np.zeros(5000, dtype=int), x, y, np.zeros(5000), -np.ones(5000, dtype=int),
                              np.zeros(5000, dtype=bool))
    assert contains_xy(c.hull.buffer(1e-6), x, y).all()
    from shapely import MultiPoint
    assert c.hull.normalize().equals_exact(MultiPoint(np.column_stack((x, y))).convex_hull.normalize(), 1e-9)
