"""Gi* on grids: equal to PySAL esda (z-scores and permutation pseudo p-values), planted hotspots found, no
significant cell under complete spatial randomness (FDR at the nominal level)."""
import numpy as np
import pytest
from scipy import stats
from shapely.geometry import box

from gis.gistar import (
    analyse,
    bh_threshold,
    binary_weights,
    cell_centres,
    cell_keys,
    classify,
    default_neighbour_distance,
    distinct_rows,
    gi_star,
    make_grid,
    permutation_p,
)

AREA = box(0, 0, 3000, 2400)


def index_of(grid, keys) -> np.ndarray:
    """Row of each cell key in the grid, -1 for keys outside it."""
    lookup = {tuple(k): i for i, k in enumerate(grid.keys.tolist())}
    return np.array([lookup.get(tuple(k), -1) for k in np.asarray(keys).tolist()], dtype=np.int64)


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_cells_contain_their_points(shape):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-500, 500, 5000), rng.uniform(-500, 500, 5000)
    keys = cell_keys(x, y, 150, shape)
    centres = cell_centres(keys, 150, shape)
    # Every point is nearest to its own cell's centre among all nearby centres (Voronoi = the cell).
    grid = make_grid(box(-700, -700, 700, 700), 150, shape)
    d_own = np.hypot(x - centres[:, 0], y - centres[:, 1])
    d_all = np.hypot(x[:, None] - grid.centres[None, :, 0], y[:, None] - grid.centres[None, :, 1]).min(1)
    assert np.allclose(d_own, d_all)
    assert (index_of(grid, keys) >= 0).all()


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_neighbours_are_the_first_ring(shape):
    grid = make_grid(AREA, 150, shape)
    w = binary_weights(grid.centres, default_neighbour_distance(150, shape))
    counts = np.asarray(w.sum(axis=1)).ravel()
    assert counts.max() == (7 if shape == "hex" else 9)  # the cell itself and its ring
    assert abs(grid.area - AREA.area) / AREA.area < 0.2


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_equals_esda_g_local_star(shape):
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    grid = make_grid(AREA, 150, shape)
    rng = np.random.default_rng(7)
    y = rng.poisson(3, len(grid)).astype(float)
    y[len(grid) // 2] += 40
    dist = default_neighbour_distance(150, shape)
    g, z, p = gi_star(y, binary_weights(grid.centres, dist))
    w = DistanceBand(grid.centres, threshold=dist, binary=True, silence_warnings=True)
    ref = G_Local(y, w, transform="B", star=True, permutations=0)
    assert np.max(np.abs(z - ref.Zs)) < 1e-6
    assert np.max(np.abs(g - ref.Gs)) < 1e-6
    assert np.max(np.abs(p - 2 * ref.p_norm)) < 1e-6


@pytest.mark.parametrize("permutations", [0, 9999])
def test_planted_hotspot_is_hot_and_uniform_noise_has_no_significant_cell(permutations):
    grid = make_grid(AREA, 150, "hex")
    w = binary_weights(grid.centres, default_neighbour_distance(150, "hex"))
    rng = np.random.default_rng(3)
    # Uniform noise: points thrown uniformly over the area, counted per cell.
    x, y = rng.uniform(0, 3000, 4000), rng.uniform(0, 2400, 4000)
    idx = index_of(grid, cell_keys(x, y, 150, "hex"))
    noise = np.bincount(idx, minlength=len(grid)).astype(float)
    res = analyse(noise, w, fdr=True, permutations=permutations)
    assert (res.klass == 0).all()
    # Plant 150 incidents within 100 m of one place.
    hx, hy = rng.normal(1000, 40, 150), rng.normal(1200, 40, 150)
    planted = noise + np.bincount(index_of(grid, cell_keys(hx, hy, 150, "hex")), minlength=len(grid))
    res = analyse(planted, w, fdr=True, permutations=permutations)
    centre = index_of(grid, cell_keys([1000], [1200], 150, "hex"))[0]
    # The normal approximation gives the centre 99 %; permutations (smallest p 2/10000) at least 90 % after FDR:
    # the other planted cells can be drawn as neighbours, which makes the null distribution heavy-tailed.
    assert res.klass[centre] == 3 if permutations == 0 else res.klass[centre] >= 1
    hot = np.flatnonzero(res.klass > 0)
    assert np.hypot(grid.centres[hot, 0] - 1000, grid.centres[hot, 1] - 1200).max() < 400


def test_fdr_thresholds_and_classes():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    # BH at 5 %: largest k with p_(k) <= k/10 * 0.05 is k = 2.
    assert bh_threshold(p, 0.05) == 0.008
    # BH at 10 %: k = 6 (0.06 <= 0.06), not k = 7 (0.074 > 0.07); at 1 %: k = 1 (0.001 <= 0.001).
    assert bh_threshold(p, 0.10) == 0.06
    assert bh_threshold(p, 0.01) == 0.001
    z = np.array([3.3, -2.7, 2.1, 2.0, 2.0, 1.9, 1.8, 1.3, 1.2, 1.2])
    klass, thr = classify(z, p, fdr=False)
    assert klass.tolist() == [3, -3, 2, 2, 2, 1, 1, 0, 0, 0]
    klass, thr = classify(z, p, fdr=True)
    assert thr == {0.90: 0.06, 0.95: 0.008, 0.99: 0.001}
    assert klass.tolist() == [3, -2, 1, 1, 1, 1, 0, 0, 0, 0]


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_grid_count_equals_counting_by_lookup(shape):
    grid = make_grid(AREA, 150, shape)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-300, 3300, 20000), rng.uniform(-300, 2700, 20000)  # some fall outside the grid
    keys = cell_keys(x, y, 150, shape)
    idx = index_of(grid, keys)
    expected = np.bincount(idx[idx >= 0], minlength=len(grid))
    assert np.array_equal(grid.count(keys), expected) and expected.sum() < 20000


def test_distinct_rows_equal_numpy_unique_rows():
    rng = np.random.default_rng(3)
    for rows in (rng.integers(-5, 6, (10_000, 3)), rng.integers(-10**6, 10**6, (5_000, 2)),
                 np.array([[2**40, -(2**40), 7], [-(2**40), 2**40, 7], [2**40, -(2**40), 7]]),  # codes too wide
                 np.zeros((0, 3), dtype=np.int64), np.array([[4, 2]])):
        uniq, counts = distinct_rows(rows)
        want_uniq, want_counts = np.unique(rows, axis=0, return_counts=True)
        assert np.array_equal(uniq, want_uniq) and np.array_equal(counts, want_counts)
        assert uniq.shape[1] == rows.shape[1]


@pytest.mark.parametrize("shape, mean", [("hex", 0.8), ("square", 6.0)])
def test_permutation_p_values_agree_with_esda_within_monte_carlo_error(shape, mean):
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    grid = make_grid(AREA, 150, shape)
    rng = np.random.default_rng(7)
    y = rng.poisson(mean, len(grid)).astype(float)
    y[len(grid) // 2] += 15
    y[100] += 8
    dist = default_neighbour_distance(150, shape)
    high, low = permutation_p(y, binary_weights(grid.centres, dist), 999, seed=1)
    w = DistanceBand(grid.centres, threshold=dist, binary=True, silence_warnings=True)
    ref = G_Local(y, w, transform="B", star=True, permutations=999, seed=5, keep_simulations=True, n_jobs=1)
    # esda keeps its 999 simulated G per cell: the same one-sided p-values from its draws...
    ge = (ref.rGs >= ref.Gs[:, None] - 1e-12).sum(axis=1)
    ref_high = (ge + 1) / 1000
    ref_low = ((ref.rGs <= ref.Gs[:, None] + 1e-12).sum(axis=1) + 1) / 1000
    for mine, theirs in ((high, ref_high), (low, ref_low)):
        # ...agree within Monte Carlo error: two independent estimates of p, each with variance p(1-p)/999.
        se = np.sqrt(2 * theirs * (1 - theirs) / 999)
        assert np.all(np.abs(mine - theirs) <= 4.5 * se + 0.003)
        assert np.corrcoef(mine, theirs)[0, 1] > 0.99
    # esda's p_sim is the upper one where most draws lie below the observation.
    upper = ge <= 999 - ge
    assert np.allclose(ref.p_sim[upper], ref_high[upper]) and upper.sum() > 20
    assert np.all(np.abs(high[upper] - ref.p_sim[upper]) <= 4.5 * np.sqrt(2 * ref_high[upper] * (1 - ref_high[upper])
                                                                           / 999) + 0.003)


def test_permutations_are_seeded_and_reproducible():
    grid = make_grid(AREA, 150, "hex")
    y = np.random.default_rng(2).poisson(1.0, len(grid)).astype(float)
    w = binary_weights(grid.centres, default_neighbour_distance(150, "hex"))
    a, b, c = (analyse(y, w, seed=s) for s in (4, 4, 5))
    assert np.array_equal(a.p, b.p) and not np.array_equal(a.p, c.p)
    assert a.permutations == 999 and a.smallest_p == pytest.approx(0.002) and a.p.min() >= 0.002


@pytest.mark.slow
@pytest.mark.parametrize("points", [30, 3000])  # sparse (0.07 per cell) and dense (7 per cell)
def test_under_complete_spatial_randomness_fdr_keeps_the_share_of_runs_with_any_significant_cell(points):
    grid = make_grid(AREA, 150, "hex")
    w = binary_weights(grid.centres, default_neighbour_distance(150, "hex"))
    rng = np.random.default_rng(points)
    runs = 300
    any_significant = {0.90: 0, 0.95: 0, 0.99: 0}
    normal_any = 0
    for run in range(runs):
        # Complete spatial randomness: a homogeneous Poisson process over the grid's cells.
        keys = cell_keys(rng.uniform(0, 3000, points), rng.uniform(0, 2400, points), 150, "hex")
        counts = grid.count(keys).astype(float)
        normal_any += bool(analyse(counts, w, fdr=True, permutations=0).klass.any())
        res = analyse(counts, w, fdr=True, permutations=999, seed=run)
        for rank, level in enumerate(sorted(any_significant), start=1):
            any_significant[level] += bool((np.abs(res.klass) >= rank).any())
    for level, hits in any_significant.items():
        # At or below the nominal level 1 - level: the count of runs is not significantly above it.
        assert stats.binomtest(hits, runs, 1 - level, alternative="greater").pvalue > 0.01, (level, hits)
    # Why: the normal approximation finds "hotspots" in noise, most of all in sparse counts.
    assert normal_any > 0.2 * runs
