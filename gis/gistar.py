"""Getis-Ord Gi* on a hexagon or square grid, with false discovery rate control and hot/cold classes.

The grid covers the study area (every cell that touches the city boundary, empty cells included: Gi*
compares each neighbourhood with the whole area). Weights are binary: the cells whose centres lie within
`neighbour_distance` of a cell's centre, the cell itself included (that is the "star"). With the same
weights, z-scores equal PySAL esda's ``G_Local(y, w, transform="B", star=True).Zs``.

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
    """Gi* results per cell: statistic, z-score, two-sided p-value and class (-3..3)."""

    g: np.ndarray
    z: np.ndarray
    p: np.ndarray
    klass: np.ndarray
    thresholds: dict


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


def analyse(counts, w: csr_matrix, levels=LEVELS, fdr: bool = True) -> GiStar:
    """Gi* with classes for counts per cell."""
    g, z, p = gi_star(counts, w)
    klass, thresholds = classify(z, p, levels, fdr)
    return GiStar(g, z, p, klass, thresholds)
