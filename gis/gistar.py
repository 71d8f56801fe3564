"""Getis-Ord Gi* on a hexagon or square grid, with false discovery rate control and hot/cold classes.

The grid covers the study area (every cell that touches the city boundary, empty cells included: Gi*
compares each neighbourhood with the whole area). Weights are binary: the cells whose centres lie within
`neighbour_distance` of a cell's centre, the cell itself included (that is the "star"). With the same
weights, z-scores equal PySAL esda's ``G_Local(y, w, transform="B", star=True).Zs``.

Inference (`analyse(..., permutations=N)`): by default conditional permutation, the pseudo p-values of PySAL
esda's ``G_Local(star=True, permutations=N)``: each cell keeps its own count and its neighbours' counts are drawn
at random, without replacement, from all other cells. The normal approximation (``permutations=0``) is not valid
for sparse counts (a handful of incidents in thousands of cells): it calls cells with one or two reports
"99 %" hotspots.

Cell keys: squares (i, j, 0) with centre ((i + 0.5) s, (j + 0.5) s); hexagons (pointy top, centre
spacing s) are the Voronoi cells of two offset rectangular lattices, (i, j, 0) with centre
(i s, j sqrt(3) s) and (i, j, 1) with centre ((i + 0.5) s, (j + 0.5) sqrt(3) s). Reports are counted per
cell from their keys (`cell_keys`, then `Grid.count`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import stats
from scipy.sparse import csr_matrix, identity
from scipy.spatial import cKDTree
from shapely.geometry import Polygon, box

SHAPES = ("hex", "square")
LEVELS = (0.90, 0.95, 0.99)
SQRT3 = math.sqrt(3.0)


def cell_keys(x, y, size: float, shape: str = "hex") -> np.ndarray:
    """Integer keys (n, 3) of the grid cells containing metric points."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if shape == "square":
        return np.column_stack((np.floor(x / size), np.floor(y / size), np.zeros_like(x))).astype(np.int64)
    if shape != "hex":
        raise ValueError(f"unknown grid shape {shape!r}")
    dy = SQRT3 * size
    i1, j1 = np.rint(x / size), np.rint(y / dy)
    i2, j2 = np.rint((x - size / 2) / size), np.rint((y - dy / 2) / dy)
    d1 = (x - i1 * size) ** 2 + (y - j1 * dy) ** 2
    d2 = (x - (i2 + 0.5) * size) ** 2 + (y - (j2 + 0.5) * dy) ** 2
    second = d2 < d1
    return np.column_stack((np.where(second, i2, i1), np.where(second, j2, j1), second)).astype(np.int64)


def distinct_rows(rows) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of an integer array (n, k), in lexicographic order, and how often each occurs: what
    np.unique(rows, axis=0, return_counts=True) gives, many times faster, by sorting one packed code per row."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return rows.reshape(0, rows.shape[1]), np.zeros(0, dtype=np.int64)
    lo = rows.min(axis=0)
    span = rows.max(axis=0) - lo + 1
    if np.prod(span.astype(float)) >= 2.0**62:  # codes would overflow
        return np.unique(rows, axis=0, return_counts=True)
    code = np.zeros(len(rows), dtype=np.int64)
    for j in range(rows.shape[1]):  # row-major: codes sort as the rows do
        code *= span[j]
        code += rows[:, j] - lo[j]
    codes, counts = np.unique(code, return_counts=True)
    out = np.empty((len(codes), rows.shape[1]), dtype=np.int64)
    for j in reversed(range(rows.shape[1])):
        out[:, j] = codes % span[j] + lo[j]
        codes //= span[j]
    return out, counts


def cell_centres(keys: np.ndarray, size: float, shape: str = "hex") -> np.ndarray:
    """Metric centres (n, 2) of cells given by their keys."""
    keys = np.asarray(keys, dtype=float).reshape(-1, 3)
    if shape == "square":
        return np.column_stack(((keys[:, 0] + 0.5) * size, (keys[:, 1] + 0.5) * size))
    dy = SQRT3 * size
    off = keys[:, 2] * 0.5
    return np.column_stack(((keys[:, 0] + off) * size, (keys[:, 1] + off) * dy))


def cell_polygon(cx: float, cy: float, size: float, shape: str = "hex") -> Polygon:
    """The polygon of the cell centred at (cx, cy)."""
    if shape == "square":
        h = size / 2
        return box(cx - h, cy - h, cx + h, cy + h)
    r = size / SQRT3  # circumradius of a pointy-top hexagon whose centres are `size` apart
    return Polygon([(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
                    for a in (30, 90, 150, 210, 270, 330)])


def cell_polygons(centres: np.ndarray, size: float, shape: str = "hex") -> np.ndarray:
    """Polygons (a shapely array) of many cells given their centres."""
    if shape == "square":
        h = size / 2
        offsets = np.array([(-h, -h), (h, -h), (h, h), (-h, h), (-h, -h)])
    else:
        r = size / SQRT3
        ang = np.radians([30, 90, 150, 210, 270, 330, 30])
        offsets = np.column_stack((r * np.cos(ang), r * np.sin(ang)))
    rings = np.asarray(centres, dtype=float)[:, None, :] + offsets[None, :, :]
    return shapely.polygons(rings)


def cell_area(size: float, shape: str = "hex") -> float:
    """Area of one cell in square metres."""
    return size * size if shape == "square" else SQRT3 / 2 * size * size


@dataclass
class Grid:
    """The cells covering a study area: keys, centres and the cell size and shape."""

    keys: np.ndarray
    centres: np.ndarray
    size: float
    shape: str

    def __len__(self):
        return len(self.keys)

    def count(self, keys: np.ndarray) -> np.ndarray:
        """How many of the given cell keys fall in each cell of this grid (by counting integer codes)."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1, 3)
        lo = self.keys.min(axis=0)
        span = self.keys.max(axis=0) - lo + 1
        rel = keys - lo
        ok = np.all((rel >= 0) & (rel < span), axis=1)
        codes = (rel[ok, 0] * span[1] + rel[ok, 1]) * span[2] + rel[ok, 2]
        own = ((self.keys[:, 0] - lo[0]) * span[1] + (self.keys[:, 1] - lo[1])) * span[2] + (self.keys[:, 2] - lo[2])
        dense = np.bincount(codes, minlength=int(np.prod(span)))
        return dense[own]

    def polygon(self, i: int) -> Polygon:
        """The polygon of cell i."""
        return cell_polygon(self.centres[i, 0], self.centres[i, 1], self.size, self.shape)

    @property
    def area(self) -> float:
        """Total area of the grid in square metres."""
        return len(self) * cell_area(self.size, self.shape)


def make_grid(area, size: float, shape: str = "hex") -> Grid:
    """All cells of the given size and shape that overlap the (metric) study area polygon."""
    if shape not in SHAPES:
        raise ValueError(f"unknown grid shape {shape!r}")
    if size <= 0:
        raise ValueError("cell size must be positive")
    minx, miny, maxx, maxy = area.bounds
    if shape == "square":
        ii, jj = np.meshgrid(np.arange(math.floor(minx / size) - 1, math.ceil(maxx / size) + 1),
                             np.arange(math.floor(miny / size) - 1, math.ceil(maxy / size) + 1), indexing="ij")
        keys = np.column_stack((ii.ravel(), jj.ravel(), np.zeros(ii.size))).astype(np.int64)
    else:
        dy = SQRT3 * size
        ii, jj = np.meshgrid(np.arange(math.floor(minx / size) - 1, math.ceil(maxx / size) + 2),
                             np.arange(math.floor(miny / dy) - 1, math.ceil(maxy / dy) + 2), indexing="ij")
        base = np.column_stack((ii.ravel(), jj.ravel()))
        keys = np.vstack((np.column_stack((base, np.zeros(len(base)))),
                          np.column_stack((base, np.ones(len(base)))))).astype(np.int64)
    centres = cell_centres(keys, size, shape)
    # Keep cells whose polygon touches the area: centre within reach, then an exact polygon test.
    reach = size if shape == "square" else size / SQRT3
    near = area.buffer(reach * 1.5)
    candidates = np.flatnonzero(shapely.contains_xy(near, centres[:, 0], centres[:, 1]))
    polys = cell_polygons(centres[candidates], size, shape)
    keep = candidates[shapely.intersects(polys, area) & ~shapely.touches(polys, area)]
    keys, centres = keys[keep], centres[keep]
    order = np.lexsort((keys[:, 2], keys[:, 1], keys[:, 0]))
    return Grid(keys[order], centres[order], float(size), shape)


def default_neighbour_distance(size: float, shape: str = "hex") -> float:
    """First ring of neighbours: 6 for hexagons, 8 (queen) for squares."""
    return size * (1.01 if shape == "hex" else 1.5)


def binary_weights(centres: np.ndarray, distance: float, self_weight: bool = True) -> csr_matrix:
    """Binary weights: 1 between cells whose centres lie within `distance`, and on the diagonal."""
    tree = cKDTree(centres)
    pairs = tree.query_pairs(distance, output_type="ndarray")
    n = len(centres)
    data = np.ones(2 * len(pairs))
    w = csr_matrix((data, (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]])), shape=(n, n))
    if self_weight:
        w = (w + identity(n, format="csr")).tocsr()
    return w


@dataclass
class GiStar:
    """Gi* results per cell: statistic, z-score, two-sided p-value and class (-3..3), and how p was found
    (`permutations`: 0 for the normal approximation)."""

    g: np.ndarray
    z: np.ndarray
    p: np.ndarray
    klass: np.ndarray
    thresholds: dict
    permutations: int = 0

    @property
    def smallest_p(self) -> float:
        """The smallest two-sided p-value the inference can give: 2 / (permutations + 1); 0 for the normal one."""
        return min(1.0, 2.0 / (self.permutations + 1)) if self.permutations else 0.0


def gi_star(y, w: csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Getis-Ord Gi* (weights as given, self-weight included): statistic G, z-score, two-sided p-value.

    z_i = (sum_j w_ij y_j - ybar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))) with W_i = sum_j w_ij,
    S1_i = sum_j w_ij^2, ybar and S the mean and (population) standard deviation of all n cells.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 3:
        raise ValueError("Gi* needs at least three cells")
    ybar = y.mean()
    s = math.sqrt(max((y * y).mean() - ybar * ybar, 0.0))
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    lag = w @ y
    g = lag / y.sum() if y.sum() else np.zeros(n)
    denom = s * np.sqrt(np.maximum(n * s1 - wi * wi, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (lag - ybar * wi) / denom, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    return g, z, p


def bh_threshold(p: np.ndarray, alpha: float) -> float:
    """Benjamini-Hochberg: the largest p-value still rejected at false discovery rate alpha (0: none)."""
    ps = np.sort(np.asarray(p, dtype=float))
    m = len(ps)
    ok = np.flatnonzero(ps <= alpha * np.arange(1, m + 1) / m)
    return float(ps[ok[-1]]) if len(ok) else 0.0


def classify(z, p, levels=LEVELS, fdr: bool = True) -> tuple[np.ndarray, dict]:
    """Hot (+) / cold (-) class per cell: 3, 2, 1 for 99 %, 95 %, 90 % confidence, 0 not significant.

    With `fdr`, each level's p-value threshold is the Benjamini-Hochberg one at alpha = 1 - level over
    all cells; without, it is alpha itself. Returns classes and {level: threshold}.
    """
    z = np.asarray(z)
    p = np.asarray(p)
    klass = np.zeros(len(p), dtype=np.int64)
    thresholds = {}
    for rank, level in enumerate(sorted(levels), start=1):
        alpha = round(1 - level, 10)  # 1 - 0.9 is 0.0999... in floating point
        thr = bh_threshold(p, alpha) if fdr else alpha
        thresholds[level] = thr
        sig = p <= thr if thr > 0 else np.zeros(len(p), dtype=bool)
        klass[sig] = rank * np.sign(z[sig]).astype(np.int64)
    return klass, thresholds


PERMUTATIONS = 999
# Below these, maps and exports show counts only ("too few reports for a statement"). The permutation test stays
# valid for sparse counts (tests/test_gis_gistar.py: no more false alarms than the nominal rate under complete
# spatial randomness), but a "hotspot" would then rest on one or two reports: a single evening of one sprayer.
MIN_REPORTS = 30
MIN_EXPECTED_PER_NEIGHBOURHOOD = 0.1  # reports per cell and its ring of neighbours, on average over the area


def expected_per_neighbourhood(total: float, w: csr_matrix) -> float:
    """Reports expected in a cell's neighbourhood (itself and its ring) if they were spread evenly."""
    n = w.shape[0]
    return float(total) / n * float(w.sum()) / n if n else 0.0


def enough_for_a_statement(total: float, w: csr_matrix) -> bool:
    """Whether hot/cold classes may be shown: at least MIN_REPORTS reports and MIN_EXPECTED_PER_NEIGHBOURHOOD."""
    return total >= MIN_REPORTS and expected_per_neighbourhood(total, w) >= MIN_EXPECTED_PER_NEIGHBOURHOOD



def permutation_p(y, w: csr_matrix, permutations: int = PERMUTATIONS, seed: int | None = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Conditional-permutation pseudo p-values of Gi* with binary weights and the cell itself included.

    As esda's ``G_Local(star=True)`` (esda.crand): one matrix of random draws, `permutations` rows of k_max
    distinct indices into the n - 1 other cells, serves every cell; cell i's simulated neighbourhood sum is its
    own count plus the first k_i drawn values (k_i: its neighbours). Returns one-sided p-values
    ((#simulated >= observed) + 1) / (permutations + 1) for "high" and (#simulated <= observed) + 1 ... for
    "low". (esda's ``p_sim`` is the smaller of the two, but counts ties only on the high side, so an all-empty
    neighbourhood gets its smallest p; here a tie counts on both sides.)

    Cells with the same count have the same null distribution (the n - 1 others form the same multiset), so
    draws are evaluated once per distinct count: the cost grows with the distinct counts, not with the cells.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if permutations < 1 or n < 3:
        raise ValueError("at least one permutation and three cells are needed")
    w = w.tocsr()
    k = np.diff(w.indptr) - (w.diagonal() != 0)  # neighbours other than the cell itself
    observed = w @ y
    kmax = int(k.max())
    rng = np.random.default_rng(seed)
    # Without replacement per row: the first kmax columns of a random permutation of the n - 1 others.
    draws = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax] if n - 1 <= 4 * kmax + 64 else \
        _distinct_draws(rng, permutations, n - 1, kmax)
    ys = np.sort(y)
    high = np.ones(n)
    low = np.ones(n)
    values, inverse = np.unique(y, return_inverse=True)
    for vi, v in enumerate(values):
        cells = np.flatnonzero(inverse == vi)
        skip = np.searchsorted(ys, v)  # drop one cell of this value from the pool: index j >= skip -> j + 1
        sums = np.sort(np.cumsum(ys[draws + (draws >= skip)], axis=1), axis=0) + v
        for kk in np.unique(k[cells]):
            sel = cells[k[cells] == kk]
            if kk == 0:
                continue  # an island has no neighbourhood to compare: p stays 1
            column = sums[:, kk - 1]
            obs = observed[sel]
            ge = permutations - np.searchsorted(column, obs, side="left")
            le = np.searchsorted(column, obs, side="right")
            high[sel] = (ge + 1) / (permutations + 1)
            low[sel] = (le + 1) / (permutations + 1)
    return high, low


def _distinct_draws(rng, rows: int, n: int, k: int) -> np.ndarray:
    """`rows` rows of k distinct integers below n (uniform over such sets, in random order): draw with
    replacement and redraw the rows that repeat a value (rare when k is much smaller than n)."""
    out = rng.integers(0, n, size=(rows, k))
    while True:
        s = np.sort(out, axis=1)
        bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1)) if k > 1 else np.zeros(0, dtype=np.int64)
        if len(bad) == 0:
            return out
        out[bad] = rng.integers(0, n, size=(len(bad), k))


def two_sided(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Two-sided p-value from the one-sided ones: twice the smaller, at most 1."""
    return np.minimum(1.0, 2.0 * np.minimum(high, low))


def analyse(counts, w: csr_matrix, levels=LEVELS, fdr: bool = True, permutations: int = PERMUTATIONS,
            seed: int | None = 0) -> GiStar:
    """Gi* with classes for counts per cell: p by conditional permutation (0 permutations: normal approximation)."""
    g, z, p = gi_star(counts, w)
    direction = z
    if permutations:
        high, low = permutation_p(counts, w, permutations, seed)
        p, direction = two_sided(high, low), np.where(high <= low, 1.0, -1.0)
    klass, thresholds = classify(direction, p, levels, fdr)
    return GiStar(g, z, p, klass, thresholds, permutations)
