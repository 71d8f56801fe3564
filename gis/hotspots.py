"""Density clusters: exact DBSCAN over weighted cells of a metric grid, and cluster summaries.

Reports are snapped to a grid of `grid` metres (x -> round(x / grid), as PostGIS ST_SnapToGrid does) and
each occupied cell carries its number of reports as a weight. DBSCAN over these weighted cells is then
*exactly* DBSCAN over the snapped points (what ST_ClusterDBSCAN(ST_SnapToGrid(geom, grid), eps, minpoints)
computes): a cell is a core cell when the weight within `eps` (itself included) reaches `min_points`,
core cells within `eps` of each other join one cluster, other cells within `eps` of a core cell join the
cluster of their nearest core cell, the rest is noise.

The neighbourhood of a cell is a disk of radius R = eps / grid cells, decomposed into one run of columns
per row offset. Neighbour weights are differences of per-row prefix sums (2 (2R + 1) look-ups a cell
instead of pi R^2), and connectivity only needs, per row offset, the first and the last core cell of the
run (see `_core_components`), so the work grows with the number of occupied cells times R, not with the
number of point pairs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import MultiPoint, Polygon

NOISE = -1


def snap(values: np.ndarray, grid: float) -> np.ndarray:
    """Integer grid coordinates of metric coordinates (round half to even, like ST_SnapToGrid)."""
    return np.rint(np.asarray(values, dtype=float) / grid).astype(np.int64)


def _half_widths(radius: float) -> np.ndarray:
    """For row offsets d = -R..R, the largest column offset h with d^2 + h^2 <= radius^2."""
    r = math.floor(radius + 1e-9)
    d = np.arange(-r, r + 1)
    return np.floor(np.sqrt(np.maximum(radius * radius - d * d, 0.0)) + 1e-9).astype(np.int64)


DENSE_LIMIT = 12_000_000  # raster cells up to which look-ups use dense arrays instead of binary search


class _Grid:
    """Occupied cells on a raster (dense arrays when small enough, else sorted keys and binary search)."""

    def __init__(self, ix: np.ndarray, iy: np.ndarray, weights: np.ndarray, span: int):
        self.x0, self.y0 = int(ix.min()) - span - 1, int(iy.min()) - span - 1
        self.nrows = int(ix.max()) - self.x0 + span + 2
        self.width = int(iy.max()) - self.y0 + span + 2
        self.rows, self.cols = ix - self.x0, iy - self.y0
        self.keys = self.rows * self.width + self.cols
        self.dense = self.nrows * self.width <= DENSE_LIMIT
        if self.dense:
            raster = np.bincount(self.keys, weights=weights, minlength=self.nrows * self.width)
            raster = raster.reshape(self.nrows, self.width)
            self.cum = np.zeros((self.nrows, self.width + 1))
            np.cumsum(raster, axis=1, out=self.cum[:, 1:])
            self.cum = self.cum.ravel()
        else:
            self.order = np.argsort(self.keys, kind="stable")
            self.sorted_keys = self.keys[self.order]
            if np.any(np.diff(self.sorted_keys) == 0):
                raise ValueError("cells must be unique")
            self.cum = np.concatenate(([0.0], np.cumsum(weights[self.order])))

    def run_weight(self, rows, lo, hi) -> np.ndarray:
        """Total weight of the cells in `rows` between columns lo and hi (inclusive)."""
        if self.dense:
            base = rows * (self.width + 1)
            return self.cum[base + hi + 1] - self.cum[base + lo]
        a = np.searchsorted(self.sorted_keys, rows * self.width + lo, side="left")
        b = np.searchsorted(self.sorted_keys, rows * self.width + hi, side="right")
        return self.cum[b] - self.cum[a]

    def core_index(self, core: np.ndarray):
        """Look-ups over the core cells: `runs(rows, lo, hi)` and `around(rows, cols)`.

        runs -> (found, first, last): the first and last core cell between columns lo and hi of each row;
        around -> (prev, next): the nearest core cell at or left of / at or right of a column (-1: none).
        Results are positions in the array of core cells.
        """
        core_idx = np.flatnonzero(core)
        if self.dense:
            where = np.full((self.nrows, self.width), -1, dtype=np.int64)
            where.ravel()[self.keys[core_idx]] = np.arange(len(core_idx))
            cols = np.arange(self.width)
            nxt = np.where(where >= 0, cols, self.width)
            nxt = np.minimum.accumulate(nxt[:, ::-1], axis=1)[:, ::-1].ravel()
            prv = np.maximum.accumulate(np.where(where >= 0, cols, -1), axis=1).ravel()
            where = where.ravel()

            def runs(rows, lo, hi):
                base = rows * self.width
                first = nxt[base + lo]
                found = first <= hi
                last = prv[base + hi]
                return found, where[base[found] + first[found]], where[base[found] + last[found]]

            def around(rows, cols):
                base = rows * self.width
                p, q = prv[base + cols], nxt[base + cols]
                return (np.where(p >= 0, where[base + np.maximum(p, 0)], -1),
                        np.where(q < self.width, where[base + np.minimum(q, self.width - 1)], -1))
            return runs, around
        ckeys = self.keys[core_idx]
        order = np.argsort(ckeys, kind="stable")
        skeys = ckeys[order]

        def runs(rows, lo, hi):
            a = np.searchsorted(skeys, rows * self.width + lo, side="left")
            b = np.searchsorted(skeys, rows * self.width + hi, side="right")
            found = b > a
            return found, order[a[found]], order[b[found] - 1]

        def around(rows, cols):
            k = rows * self.width + cols
            b = np.searchsorted(skeys, k, side="right")  # first core key > k
            a = b - 1
            prev_ok = (a >= 0) & (skeys[np.maximum(a, 0)] // self.width == rows)
            q = np.searchsorted(skeys, k, side="left")
            next_ok = (q < len(skeys)) & (skeys[np.minimum(q, len(skeys) - 1)] // self.width == rows)
            return (np.where(prev_ok, order[np.maximum(a, 0)], -1),
                    np.where(next_ok, order[np.minimum(q, len(skeys) - 1)], -1))
        return runs, around


def dbscan_cells(ix, iy, weights, radius: float, min_points: float) -> np.ndarray:
    """DBSCAN labels (0.., or NOISE) of unique weighted cells; `radius` is eps in cell units."""
    ix = np.asarray(ix, dtype=np.int64)
    iy = np.asarray(iy, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    n = len(ix)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if radius < 0:
        raise ValueError("radius must not be negative")
    halves = _half_widths(radius)
    r = len(halves) // 2
    grid = _Grid(ix, iy, w, r)
    if grid.dense and np.bincount(grid.keys).max() > 1:
        raise ValueError("cells must be unique")

    # Weight within eps of every cell: per row offset, a run of columns summed by prefix differences.
    total = np.zeros(n)
    for d, h in zip(range(-r, r + 1), halves):
        total += grid.run_weight(grid.rows + d, grid.cols - h, grid.cols + h)
    core = total >= min_points - 1e-9

    labels = np.full(n, NOISE, dtype=np.int64)
    core_idx = np.flatnonzero(core)
    if len(core_idx) == 0:
        return labels
    runs, around = grid.core_index(core)
    comp = _core_components(grid, core, halves, runs)
    # Number clusters by falling weight (then position) so that cluster 0 is the biggest.
    ncomp = comp.max() + 1
    weight = np.bincount(comp, weights=w[core_idx], minlength=ncomp)
    by_comp = np.lexsort((grid.keys[core_idx], comp))
    starts = np.flatnonzero(np.r_[True, np.diff(comp[by_comp]) != 0])
    first = grid.keys[core_idx][by_comp[starts]]
    rank = np.empty(ncomp, dtype=np.int64)
    rank[np.lexsort((first, -weight))] = np.arange(ncomp)
    labels[core_idx] = rank[comp]

    # Border cells: not core, but within eps of a core cell -> the cluster of the nearest core cell
    # (ST_ClusterDBSCAN gives such a cell to any of the clusters it touches; nearest is deterministic).
    others = np.flatnonzero(~core)
    if len(others):
        # Only cells with a core cell in the same run of some row offset can be border cells.
        near = np.zeros(len(others), dtype=bool)
        for d, h in zip(range(-r, r + 1), halves):
            near |= runs(grid.rows[others] + d, grid.cols[others] - h, grid.cols[others] + h)[0]
        others = others[near]
    if len(others):
        rows, cols = grid.rows[others], grid.cols[others]
        best = np.full(len(others), np.inf)
        best_core = np.full(len(others), -1, dtype=np.int64)
        crow, ccol = grid.rows[core_idx], grid.cols[core_idx]
        for d in range(-r, r + 1):
            for cand in around(rows + d, cols):
                ok = cand >= 0
                dist = np.full(len(others), np.inf)
                c = cand[ok]
                dist[ok] = (crow[c] - rows[ok]) ** 2 + (ccol[c] - cols[ok]) ** 2
                better = dist < best
                best[better] = dist[better]
                best_core[better] = cand[better]
        hit = best <= radius * radius + 1e-9
        labels[others[hit]] = labels[core_idx[best_core[hit]]]
    return labels


def _core_components(grid: _Grid, core: np.ndarray, halves, runs) -> np.ndarray:
    """Connected components of core cells, linked when within the disk stencil.

    Exact with few edges: within one row, cores closer than R are linked to their row neighbour; across
    a row offset d > 0, a core links to the first and the last core of its run [y - h(d), y + h(d)]. The
    cores of such a run form at most two row-linked segments (a gap wider than R fits at most once into
    a run no wider than 2R), the first and the last core lie one in each, so every stencil pair is
    joined by a path and every edge added is a stencil pair.
    """
    core_idx = np.flatnonzero(core)
    m = len(core_idx)
    r = len(halves) // 2
    rows, cols = grid.rows[core_idx], grid.cols[core_idx]
    src, dst = [], []
    order = np.lexsort((cols, rows))
    same_row = (rows[order][1:] == rows[order][:-1]) & (np.diff(cols[order]) <= halves[r])
    src.append(order[:-1][same_row])
    dst.append(order[1:][same_row])
    everyone = np.arange(m)
    for d, h in zip(range(1, r + 1), halves[r + 1:]):  # pairs across rows: look from the lower row only
        found, first, last = runs(rows + d, cols - h, cols + h)
        idx = everyone[found]
        src += [idx, idx]
        dst += [first, last]
    s = np.concatenate(src)
    t = np.concatenate(dst)
    graph = coo_matrix((np.ones(len(s), dtype=np.int8), (s, t)), shape=(m, m)).tocsr()
    _, comp = connected_components(graph, directed=False)
    return comp


def unique_cells(ix: np.ndarray, iy: np.ndarray):
    """Distinct integer cells (m, 2), the cell of each point and the points per cell (counting, not sorting,
    while the cells' bounding box stays small)."""
    ix = np.asarray(ix, dtype=np.int64)
    iy = np.asarray(iy, dtype=np.int64)
    if len(ix) == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    x0, y0 = ix.min(), iy.min()
    width = int(iy.max() - y0) + 1
    size = (int(ix.max() - x0) + 1) * width
    keys = (ix - x0) * width + (iy - y0)
    if size <= 4 * DENSE_LIMIT:
        counts = np.bincount(keys, minlength=size)
        occupied = np.flatnonzero(counts)
        index = np.full(size, -1, dtype=np.int64)
        index[occupied] = np.arange(len(occupied))
        cell_of, counts = index[keys], counts[occupied]
    else:
        occupied, cell_of, counts = np.unique(keys, return_inverse=True, return_counts=True)
        cell_of = cell_of.ravel()
    return np.column_stack((occupied // width + x0, occupied % width + y0)), cell_of, counts


def dbscan_points(x, y, eps: float, min_points: int, grid: float) -> np.ndarray:
    """DBSCAN labels of metric points snapped to `grid` metres (one label per input point)."""
    cells, cell_of, counts = unique_cells(snap(x, grid), snap(y, grid))
    labels = dbscan_cells(cells[:, 0], cells[:, 1], counts, eps / grid, min_points)
    return labels[cell_of]


@dataclass
class Cluster:
    """A density cluster: hull in metres, counts, dates and re-tagging."""

    label: int
    hull: Polygon
    count: int
    first: object
    last: object
    buildings: int
    retagged_buildings: int

    @property
    def retagged_share(self) -> float | None:
        """Share of the cluster's buildings that were tagged again after a removal."""
        return self.retagged_buildings / self.buildings if self.buildings else None


def summarise_clusters(cell_labels, cell_x, cell_y, point_cell, point_label, days, building, retagged,
                       grid: float) -> list[Cluster]:
    """Per cluster: hull of its cells (grown by half a cell), report count, first/last date, buildings.

    Cells: `cell_labels` with metric centres `cell_x`, `cell_y`. Reports (those in clusters): their cell,
    their cluster, their date, their building id (-1 for none) and whether they were a re-tag.
    """
    cell_labels = np.asarray(cell_labels)
    point_label = np.asarray(point_label)
    days, building, retagged = np.asarray(days), np.asarray(building), np.asarray(retagged, dtype=bool)
    corder = np.argsort(cell_labels, kind="stable")
    cl = cell_labels[corder]
    porder = np.argsort(point_label, kind="stable")
    pl = point_label[porder]
    out = []
    for lab in np.unique(cl[cl >= 0]):
        cs = corder[np.searchsorted(cl, lab, "left"):np.searchsorted(cl, lab, "right")]
        ps = porder[np.searchsorted(pl, lab, "left"):np.searchsorted(pl, lab, "right")]
        pts = np.column_stack((np.asarray(cell_x)[cs], np.asarray(cell_y)[cs]))
        hull = MultiPoint(pts).convex_hull.buffer(grid / 2, join_style="mitre")
        b, rt = building[ps], retagged[ps]
        known = b >= 0
        out.append(Cluster(int(lab), hull, len(ps), float(days[ps].min()) if len(ps) else None,
                           float(days[ps].max()) if len(ps) else None,
                           len(np.unique(b[known])), len(np.unique(b[known & rt]))))
    out.sort(key=lambda c: (-c.count, c.label))
    return out
