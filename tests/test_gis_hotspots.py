"""DBSCAN over weighted grid cells: exact against a brute-force DBSCAN and finds planted clusters."""
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gis import hotspots
from gis.hotspots import NOISE, dbscan_cells, dbscan_points, snap, summarise_clusters


def brute_force(x, y, eps, min_points):
    """Textbook DBSCAN on points: core flags, core components, eps-adjacency."""
    p = np.column_stack((x, y))
    adj = np.sqrt(((p[:, None] - p[None]) ** 2).sum(-1)) <= eps + 1e-9
    core = adj.sum(1) >= min_points
    _, comp = connected_components(csr_matrix(adj & core[:, None] & core[None]), directed=False)
    return core, comp, adj


def assert_same_dbscan(labels, core, comp, adj):
    """Same partition of core points, same noise, border points in a cluster of a core neighbour."""
    pairs = set(zip(labels[core], comp[core]))
    assert len(pairs) == len(set(labels[core])) == len(set(comp[core]))
    reachable = (adj & core[None, :]).any(1)
    assert np.array_equal(labels == NOISE, ~reachable)
    for i in np.flatnonzero(~core & reachable):
        assert labels[i] in set(labels[np.flatnonzero(adj[i] & core)])


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_equals_brute_force_dbscan_on_snapped_points(seed, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(hotspots, "DENSE_LIMIT", 0)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(80, 400))
    x = np.r_[rng.uniform(0, 400, n), rng.normal(200, 15, n // 2), rng.normal(80, 25, n // 3)]
    y = np.r_[rng.uniform(0, 400, n), rng.normal(150, 20, n // 2), rng.normal(300, 10, n // 3)]
    grid = float(rng.choice([1.0, 2.5, 5.0]))
    eps = float(rng.choice([10.0, 17.5, 25.0, 40.0]))
    min_points = int(rng.integers(3, 15))
    labels = dbscan_points(x, y, eps, min_points, grid)
    core, comp, adj = brute_force(snap(x, grid) * grid, snap(y, grid) * grid, eps, min_points)
    assert core.any() and (~core).any()
    assert_same_dbscan(labels, core, comp, adj)


def test_planted_hotspots_are_found_and_uniform_noise_is_not():
    rng = np.random.default_rng(42)
    noise_x, noise_y = rng.uniform(0, 5000, 3000), rng.uniform(0, 5000, 3000)
    hot_x, hot_y = rng.normal(1200, 30, 300), rng.normal(3400, 30, 300)
    hot2_x, hot2_y = rng.normal(4000, 20, 150), rng.normal(900, 20, 150)
    x, y = np.r_[noise_x, hot_x, hot2_x], np.r_[noise_y, hot_y, hot2_y]
    labels = dbscan_points(x, y, eps=50, min_points=15, grid=5)
    assert labels.max() + 1 == 2
    big = labels[3000:3300]
    small = labels[3300:]
    assert (big == 0).mean() > 0.9 and (small == 1).mean() > 0.9  # numbered by size
    assert (labels[:3000] == NOISE).mean() > 0.97
    only_noise = dbscan_points(noise_x, noise_y, eps=50, min_points=15, grid=5)
    assert (only_noise == NOISE).all()


def test_weights_count_like_repeated_points():
    labels = dbscan_cells([0, 3, 20], [0, 0, 0], [4, 1, 5], radius=5, min_points=5)
    assert labels.tolist() == [0, 0, 1]  # 4+1 reach 5 for both; the far cell is core on its own
    assert dbscan_cells([0, 3], [0, 0], [1, 1], radius=5, min_points=3).tolist() == [NOISE, NOISE]
    with pytest.raises(ValueError):
        dbscan_cells([1, 1], [2, 2], [1, 1], radius=5, min_points=1)


def test_cluster_summary_counts_dates_and_retagged_buildings():
    cell_labels = np.array([0, 0, 0, 1, NOISE])
    cell_x = np.array([0.0, 10, 0, 500, 900])
    cell_y = np.array([0.0, 0, 10, 500, 900])
    # Reports in clusters: their cell, cluster, day, building, re-tag flag.
    point_cell = np.array([0, 0, 1, 2, 3, 3])
    point_label = cell_labels[point_cell]
    days = np.array([5.0, 7, 3, 9, 1, 2])
    building = np.array([11, 11, 12, 11, -1, -1])
    retagged = np.array([True, False, False, False, False, True])
    out = summarise_clusters(cell_labels, cell_x, cell_y, point_cell, point_label, days, building, retagged, 5.0)
    assert [c.label for c in out] == [0, 1]
    c = out[0]
    assert (c.count, c.first, c.last, c.buildings, c.retagged_buildings) == (4, 3, 9, 2, 1)
    assert c.retagged_share == 0.5
    assert c.hull.contains(c.hull.centroid) and c.hull.area > 50
    assert out[1].count == 2 and out[1].buildings == 0 and out[1].retagged_share is None


def test_unique_cells_matches_numpy_unique():
    from gis.hotspots import unique_cells

    rng = np.random.default_rng(2)
    ix, iy = rng.integers(-50, 50, 5000), rng.integers(1000, 1100, 5000)
    cells, cell_of, counts = unique_cells(ix, iy)
    ref, ref_counts = np.unique(np.column_stack((ix, iy)), axis=0, return_counts=True)
    assert np.array_equal(cells, ref) and np.array_equal(counts, ref_counts)
    assert np.array_equal(cells[cell_of], np.column_stack((ix, iy)))
