"""Density clusters: exact DBSCAN on metric points (what PostGIS ST_ClusterDBSCAN computes), cluster summaries.

The definition is ST_ClusterDBSCAN's: a point is a *core* point when at least `min_points` points, itself
included, lie within distance <= eps of it; core points within eps of each other are in one cluster; a point
that is not core but lies within eps of a core point is a *border* point and joins the cluster of one of the
core points it touches (DBSCAN leaves open which one: here the first found, so a border point touching two
clusters may join either, as in ST_ClusterDBSCAN); every other point is noise. Distances are computed as PostGIS
computes them for two points, sqrt(dx * dx + dy * dy) <= eps, on the coordinates exactly as given.

A square grid of side g = eps / CELLS_PER_EPS serves as an index, never as an approximation. Two stencils of
cell offsets (a, b) are exact bounds: *inner* offsets, whose cells lie within eps everywhere (largest distance
<= eps), and *outer* offsets, whose cells may hold points within eps (smallest distance <= eps). Both are one
run of columns per row offset, so a stencil count is a sum of per-row prefix-sum differences. Then

- core points: a cell whose inner count reaches min_points holds only core points, a cell whose outer count
  stays below holds none; only the points of the cells in between are counted exactly (per point, bounds
  from the counting raster first, distances only to the points of the cells between those bounds);
- clusters: two cells with core points at an inner offset are joined for sure (with few edges, see
  `_core_components`); cells at an outer but not inner offset whose cores are still in different components
  are joined when the closest pair of their core points is within eps (computed exactly);
- border points: a non-core point whose cell has a core cell at an inner offset joins that cluster; one with
  core cells only at outer offsets joins the cluster of the first core point found within eps there
  (distances computed exactly); the rest is noise.

Cells come from floor((x - x0) / g); every bound is widened by a rounding margin `delta` (far above the
rounding error of the cell computation), so the grid decides only pairs that are clearly nearer or farther
than eps, and the exact formula decides the others, down to distances of exactly eps.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError
from shapely.geometry import Polygon

NOISE = -1
CELLS_PER_EPS = 5  # grid side eps / 5: finer grids decide more by bounds but cost more look-ups per cell
DENSE_LIMIT = 12_000_000  # raster cells up to which look-ups use dense arrays instead of binary search
PAIR_BUDGET = 1_000_000  # point pairs tested at once when joining components exactly
FINE_COLUMNS = 4  # columns of the counting raster: a quarter cell wide (its rows are a cell high)
ROW_CLASSES, COLUMN_CLASSES = 16, 4  # positions inside a fine cell, quantised for the per-point bound tables
FINE_LIMIT = 16_000_000  # fine raster cells up to which prefix counts are a dense array (else binary search)
CHUNK = 32_768  # points per step of the per-point bounds
THREADS = min(os.cpu_count() or 1, 4)  # numpy releases the GIL: chunks of a step run on this many threads
_pool: ThreadPoolExecutor | None = None


def _each_chunk(fn, n: int, size: int) -> None:
    """fn(start, stop) for the consecutive chunks of range(n), on THREADS threads (chunks must not overlap
    in what they write)."""
    global _pool
    bounds = [(s, min(s + size, n)) for s in range(0, n, size)]
    if THREADS <= 1 or len(bounds) <= 1:
        for a, b in bounds:
            fn(a, b)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="dbscan")
    for _ in _pool.map(lambda ab: fn(*ab), bounds):
        pass


def _within(x1, y1, x2, y2, eps: float) -> np.ndarray:
    """PostGIS' point distance test: sqrt(dx * dx + dy * dy) <= eps (no fused multiply-add, as numpy)."""
    dx = np.subtract(x2, x1)
    dx *= dx
    dy = np.subtract(y2, y1)
    dy *= dy
    dx += dy
    return np.sqrt(dx, out=dx) <= eps


def _stencil(eps: float, g: float, delta: float, inner: bool) -> np.ndarray:
    """Half widths h(a), a = -A..A, of the offsets (a, b), |b| <= h(a), of cells (side g, widened by delta)
    that lie within eps of every point of a cell (inner) / that may hold a point within eps (outer)."""
    k = math.ceil((eps + delta) / g) + 2
    a = np.arange(k + 1, dtype=float)
    if inner:
        span = (a + 1) * g + 2 * delta
        ok = span[:, None] ** 2 + span[None, :] ** 2 <= (eps - delta) ** 2
    else:
        gap = np.maximum((a - 1) * g - 2 * delta, 0.0)
        ok = gap[:, None] ** 2 + gap[None, :] ** 2 <= (eps + delta) ** 2
    h = ok.sum(axis=1) - 1  # ok falls with b (and with a): its count of True is the largest b plus one
    h = h[h >= 0].astype(np.int64)
    return np.r_[h[:0:-1], h]


class _Grid:
    """Occupied cells on a raster (dense arrays when small enough, else sorted keys and binary search)."""

    def __init__(self, ix: np.ndarray, iy: np.ndarray, span: int):
        self.x0, self.y0 = int(ix.min()) - span - 1, int(iy.min()) - span - 1
        self.nrows = int(ix.max()) - self.x0 + span + 2
        self.width = int(iy.max()) - self.y0 + span + 2
        self.rows, self.cols = ix - self.x0, iy - self.y0
        self.keys = self.rows * self.width + self.cols
        self.dense = self.nrows * self.width <= DENSE_LIMIT
        if not self.dense:
            self.order = np.argsort(self.keys, kind="stable")
            self.sorted_keys = self.keys[self.order]
            if np.any(np.diff(self.sorted_keys) == 0):
                raise ValueError("cells must be unique")
        elif np.bincount(self.keys).max() > 1:
            raise ValueError("cells must be unique")

    def core_index(self, core: np.ndarray):
        """Look-ups over the core cells: `runs(rows, lo, hi)` and `at(rows, cols)`.

        runs -> (found, first, last): the first and last core cell between columns lo and hi of each row
        (first and last only where found); at -> the core cell at a row and column (-1: none).
        Results are positions in the array of core cells.
        """
        core_idx = np.flatnonzero(core)
        if self.dense:
            where = np.full((self.nrows, self.width), -1, dtype=np.int32)
            where.ravel()[self.keys[core_idx]] = np.arange(len(core_idx))
            cols = np.arange(self.width, dtype=np.int32)
            nxt = np.where(where >= 0, cols, np.int32(self.width))
            nxt = np.minimum.accumulate(nxt[:, ::-1], axis=1)[:, ::-1].ravel()
            prv = np.maximum.accumulate(np.where(where >= 0, cols, np.int32(-1)), axis=1).ravel()
            where = where.ravel()

            def runs(rows, lo, hi):
                base = rows * self.width
                first = nxt[base + lo]
                found = first <= hi
                last = prv[base + hi]
                return found, where[base[found] + first[found]], where[base[found] + last[found]]

            def at(rows, cols):
                return where[rows * self.width + cols]
            return runs, at
        ckeys = self.keys[core_idx]
        order = np.argsort(ckeys, kind="stable")
        skeys = ckeys[order]

        def runs(rows, lo, hi):
            a = np.searchsorted(skeys, rows * self.width + lo, side="left")
            b = np.searchsorted(skeys, rows * self.width + hi, side="right")
            found = b > a
            return found, order[a[found]], order[b[found] - 1]

        def at(rows, cols):
            k = rows * self.width + cols
            a = np.minimum(np.searchsorted(skeys, k, side="left"), len(skeys) - 1)
            return np.where(skeys[a] == k, order[a], -1)
        return runs, at


def _core_components(grid: _Grid, core: np.ndarray, halves, runs) -> np.ndarray:
    """Connected components of core cells, linked when at an offset of the (symmetric, convex) stencil.

    Exact with few edges: within one row, consecutive cores at most h(0) apart are linked; across a row
    offset d > 0, a core links to the first and the last core of its run [y - h(d), y + h(d)]. The cores of
    such a run form at most two row-linked segments (a gap wider than h(0) >= h(d) fits at most once into a
    run 2 h(d) wide), the first and the last core lie one in each, so every stencil pair is joined by a path
    and every edge added is a stencil pair.
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


def _spans(starts: np.ndarray, ends: np.ndarray):
    """Concatenated ranges [starts[i], ends[i]): per element the index i of its range, and the element."""
    lens = np.maximum(ends - starts, 0)
    owner = np.repeat(np.arange(len(lens)), lens)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, np.repeat(starts, lens) + offsets


def _sort_keys(keys: np.ndarray, size: int):
    """(order, keys[order]) for non-negative int64 keys below `size`; destroys `keys`.

    Keys and positions packed into one int64 and sorted as values: numpy sorts plain integers many times
    faster than it argsorts them (and the positions make the order stable).
    """
    bits = max(len(keys) - 1, 1).bit_length()
    if max(size - 1, 1).bit_length() + bits > 63:
        order = np.argsort(keys, kind="stable")
        return order, keys[order]
    keys <<= bits
    keys |= np.arange(len(keys), dtype=np.int64)
    keys.sort()
    order = keys & ((1 << bits) - 1)
    keys >>= bits
    return order, keys


class _Frame:
    """The points sorted by the cells of a fine raster: rows g high, columns g / FINE_COLUMNS wide.

    `before(k)` is the number of points whose fine key (row * width + column) is below k, so the points of a
    run of cells in one row are the positions [before(first key), before(last key + 1)) of the sorted arrays.
    The raster has `pad` cells of side g to spare on every side.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, g: float, pad: int):
        self.bx0, self.by0 = float(x.min()) - pad * g, float(y.min()) - pad * g
        self.nrows = int((float(x.max()) - self.bx0) // g) + pad + 1
        cells = int((float(y.max()) - self.by0) // g) + pad + 1  # per row, of side g
        self.f = FINE_COLUMNS  # columns as narrow as the dense raster's size allows
        while self.f > 1 and self.nrows * cells * self.f > FINE_LIMIT:
            self.f //= 2
        self.hr, self.hc, self.width = g, g / self.f, cells * self.f
        keys = self._floor(x, self.bx0, self.hr)
        keys *= self.width
        keys += self._floor(y, self.by0, self.hc)
        self.order, self.keys = _sort_keys(keys, self.nrows * self.width)
        self.x, self.y = x[self.order], y[self.order]
        size = self.nrows * self.width
        self.dense = size <= FINE_LIMIT
        if self.dense:  # prefix[k]: points with a key below k
            self.prefix = np.zeros(size + 1, dtype=np.int32 if len(x) < 2**31 else np.int64)
            ends = np.flatnonzero(self.keys[1:] != self.keys[:-1]) + 1
            self.prefix[self.keys[ends - 1] + 1] = ends
            self.prefix[self.keys[-1] + 1:] = len(self.keys)
            np.maximum.accumulate(self.prefix, out=self.prefix)

    @staticmethod
    def _floor(v: np.ndarray, origin: float, step: float) -> np.ndarray:
        t = np.subtract(v, origin)
        t /= step
        np.floor(t, out=t)
        return t.astype(np.int64)

    def inside(self, q: np.ndarray):
        """Positions (metres) of the sorted points q inside their fine row and column."""
        k = self.keys[q]
        return ((self.x[q] - self.bx0) - (k // self.width) * self.hr,
                (self.y[q] - self.by0) - (k % self.width) * self.hc)

    def before(self, k: np.ndarray) -> np.ndarray:
        if self.dense:
            return self.prefix[k]
        return np.searchsorted(self.keys, k)

    def cells(self):
        """Occupied cells of side g: rows, columns, first sorted position, points; and each point's cell."""
        ckey = (self.keys // self.width) * (self.width // self.f) + (self.keys % self.width) // self.f
        first = np.flatnonzero(np.r_[True, ckey[1:] != ckey[:-1]])
        counts = np.diff(np.r_[first, len(ckey)])
        k = self.keys[first]
        return (k // self.width, (k % self.width) // self.f, first, counts,
                np.repeat(np.arange(len(first), dtype=np.int32), counts))

    def run_span(self, rows, lo, hi):
        """Sorted positions [start, end) of the points in `rows` between cell columns lo and hi (inclusive)."""
        base = rows * self.width
        return self.before(base + lo * self.f), self.before(base + (hi + 1) * self.f)

    def stencil_count(self, rows, cols, halves: np.ndarray) -> np.ndarray:
        """Per cell (rows, cols): points in the cells at the stencil's offsets."""
        r = len(halves) // 2
        total = np.zeros(len(rows), dtype=np.int64)

        def chunk(s, e):
            for d, h in zip(range(-r, r + 1), halves):
                start, end = self.run_span(rows[s:e] + d, cols[s:e] - h, cols[s:e] + h)
                total[s:e] += end - start

        _each_chunk(chunk, len(rows), 4 * CHUNK)
        return total


def _bound_table(eps: float, delta: float, hr: float, hc: float, reach: int) -> np.ndarray:
    """Column offsets e0 <= e1 <= e2 <= e3 (from a point's own fine column) per class of position inside the
    fine cell and per row offset d = -reach..reach: the fine cells [e1, e2) lie within eps of every point
    of the class, and no cell outside [e0, e3) holds a point within eps of one."""
    d = np.arange(-reach, reach + 1, dtype=float)[None, :]
    a = np.arange(ROW_CLASSES, dtype=float)[:, None]
    fx_lo, fx_hi = a * hr / ROW_CLASSES, (a + 1) * hr / ROW_CLASSES
    lo = d * hr - fx_hi - 2 * delta  # least and greatest x offset of a point at row offset d
    hi = (d + 1) * hr - fx_lo + 2 * delta
    dx_max = np.maximum(np.abs(lo), np.abs(hi))
    dx_min = np.maximum(np.maximum(lo, -hi), 0.0)
    ws2 = (eps - delta) ** 2 - dx_max ** 2  # half chord within eps for sure
    wm2 = (eps + delta) ** 2 - dx_min ** 2  # half chord beyond which nothing is within eps
    ws = np.sqrt(np.maximum(ws2, 0.0))[:, None, :]
    wm = np.sqrt(np.maximum(wm2, 0.0))[:, None, :]
    b = np.arange(COLUMN_CLASSES, dtype=float)[None, :, None]
    fy_lo, fy_hi = b * hc / COLUMN_CLASSES, (b + 1) * hc / COLUMN_CLASSES
    e0 = np.ceil((fy_lo - 2 * delta - wm) / hc) - 1
    e1 = np.ceil((fy_hi + 2 * delta - ws) / hc)
    e2 = np.floor((fy_lo - 2 * delta + ws) / hc)
    e3 = np.floor((fy_hi + 2 * delta + wm) / hc) + 1
    no_sure = (ws2 < 0)[:, None, :] | (e2 < e1)
    e1 = np.where(no_sure, e0, e1)
    e2 = np.where(no_sure, e0, e2)
    none = np.broadcast_to((wm2 < 0)[:, None, :], e0.shape)
    e0, e1, e2, e3 = (np.where(none, 0.0, e) for e in (e0, e1, e2, e3))
    e1 = np.clip(e1, e0, e3)
    e2 = np.clip(e2, e1, e3)
    table = np.stack((e0, e1, e2, e3), axis=-1).astype(np.int64)  # (row class, column class, d, 4)
    return table.reshape(ROW_CLASSES * COLUMN_CLASSES, 2 * reach + 1, 4)


def _exact_core(fr: _Frame, queries: np.ndarray, eps: float, delta: float, min_points: int) -> np.ndarray:
    """Core flags of the points at sorted positions `queries`: per-point bounds from the fine raster (one
    table per class of position), exact distances only to the points of the cells in between."""
    reach = math.floor((eps + 3 * delta) / fr.hr) + 1
    table = _bound_table(eps, delta, fr.hr, fr.hc, reach)
    table += (np.arange(-reach, reach + 1) * fr.width)[None, :, None]  # as key offsets
    sure_part, maybe_part = np.ascontiguousarray(table[..., 1:3]), np.ascontiguousarray(table[..., [0, 3]])
    core = np.zeros(len(queries), dtype=bool)

    def chunk(s, e):
        q = queries[s:e]
        fx, fy = fr.inside(q)
        cls = (np.minimum((fx * (ROW_CLASSES / fr.hr)).astype(np.int64), ROW_CLASSES - 1) * COLUMN_CLASSES
               + np.minimum((fy * (COLUMN_CLASSES / fr.hc)).astype(np.int64), COLUMN_CLASSES - 1))
        key = fr.keys[q][:, None, None]
        v = fr.before(sure_part[cls] + key)  # cells within eps for sure: the lower bound decides most cores
        lower = v[..., 1].sum(axis=1, dtype=np.int64) - v[..., 0].sum(axis=1, dtype=np.int64)
        core[s:e] = lower >= min_points
        rest = np.flatnonzero(lower < min_points)
        w = fr.before(maybe_part[cls[rest]] + key[rest])  # cells that may hold points within eps
        upper = w[..., 1].sum(axis=1, dtype=np.int64) - w[..., 0].sum(axis=1, dtype=np.int64)
        open_ = upper >= min_points
        left = rest[open_]
        if not len(left):
            return
        # Exact distances to the points of the cells between the two bounds, both ends of every row's run.
        starts = np.stack((w[open_, :, 0], v[left, :, 1]), axis=-1).ravel().astype(np.int64)
        ends = np.stack((v[left, :, 0], w[open_, :, 1]), axis=-1).ravel().astype(np.int64)
        lens = ends - starts
        per_query = lens.reshape(len(left), -1).sum(axis=1)
        pos = np.arange(int(per_query.sum())) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
        hit = _within(np.repeat(fr.x[q[left]], per_query), np.repeat(fr.y[q[left]], per_query),
                      fr.x[pos], fr.y[pos], eps)
        hits = np.r_[0, np.cumsum(hit)]  # hits of query i: between its first and last pair
        last = np.cumsum(per_query)
        core[s + left] = lower[left] + (hits[last] - hits[last - per_query]) >= min_points

    _each_chunk(chunk, len(queries), CHUNK)
    return core


def _join_ring(fr: _Frame, grid: _Grid, core_cells, core_pos, core_first, core_count, comp, inner, outer, at,
               eps: float) -> np.ndarray:
    """Components after joining core cells at outer-only offsets whose closest pair of core points is within
    eps. Per core cell, its core points are core_pos[core_first : core_first + core_count]."""
    ri, ro = len(inner) // 2, len(outer) // 2
    rows, cols = grid.rows[core_cells], grid.cols[core_cells]
    everyone = np.arange(len(core_cells))
    src, dst = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for a in range(ro + 1):  # each unordered pair once: offsets (a > 0, any b) or (0, b > 0)
        hi = outer[ro + a]
        hin = inner[ri + a] if a <= ri else -1
        for b in range(-hi if a else 1, hi + 1):
            if abs(b) <= hin:
                continue
            j = at(rows + a, cols + b)
            ok = j >= 0
            ok[ok] = comp[j[ok]] != comp[everyone[ok]]
            src.append(everyone[ok])
            dst.append(j[ok])
    pi, pj = np.concatenate(src), np.concatenate(dst)
    cost = core_count[pi] * core_count[pj]
    order = np.argsort(cost, kind="stable")
    pi, pj, cost = pi[order], pj[order], cost[order]
    while len(pi):  # cheapest pairs first; pairs whose components got joined meanwhile are dropped
        alive = comp[pi] != comp[pj]
        pi, pj, cost = pi[alive], pj[alive], cost[alive]
        if not len(pi):
            break
        end = max(1, int(np.searchsorted(np.cumsum(cost), PAIR_BUDGET, side="right")))
        ci, cj, cc = pi[:end], pj[:end], cost[:end]
        pi, pj, cost = pi[end:], pj[end:], cost[end:]
        owner = np.repeat(np.arange(len(ci)), cc)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(cc) - cc, cc)
        nb = core_count[cj][owner]
        a = core_pos[core_first[ci][owner] + k // nb]
        b = core_pos[core_first[cj][owner] + k % nb]
        hit = np.zeros(len(ci), dtype=bool)
        hit[owner[_within(fr.x[a], fr.y[a], fr.x[b], fr.y[b], eps)]] = True
        if hit.any():
            ncomp = int(comp.max()) + 1
            graph = coo_matrix((np.ones(int(hit.sum()), dtype=np.int8), (comp[ci[hit]], comp[cj[hit]])),
                               shape=(ncomp, ncomp))
            _, merged = connected_components(graph, directed=False)
            comp = merged[comp]
    return comp


def _covered(grid: _Grid, core_cells: np.ndarray, halves: np.ndarray, cells: np.ndarray, runs) -> np.ndarray:
    """Per cell of `cells`: does a core cell lie at one of the stencil's offsets? (On a dense raster: runs
    of coverage counted from the core cells, usually far fewer than the cells asked about.)"""
    r = len(halves) // 2
    if not grid.dense:
        found = np.zeros(len(cells), dtype=bool)
        for d, h in zip(range(-r, r + 1), halves):
            found |= runs(grid.rows[cells] + d, grid.cols[cells] - h, grid.cols[cells] + h)[0]
        return found
    w = grid.width + 1
    rows, cols = grid.rows[core_cells], grid.cols[core_cells]
    starts = np.concatenate([(rows + d) * w + cols - h for d, h in zip(range(-r, r + 1), halves)])
    ends = np.concatenate([(rows + d) * w + cols + h + 1 for d, h in zip(range(-r, r + 1), halves)])
    diff = np.zeros(grid.nrows * w, dtype=np.int64)
    np.add.at(diff, starts, 1)
    np.add.at(diff, ends, -1)
    cover = np.cumsum(diff.reshape(grid.nrows, w), axis=1).ravel()
    return cover[grid.rows[cells] * w + grid.cols[cells]] > 0


def _border(fr: _Frame, grid: _Grid, core, cell_of, per_cell, core_pos, label_of_cell, inner, outer, runs,
            eps: float) -> np.ndarray:
    """Labels of the non-core points (sorted positions): the cluster of a core cell at an inner offset of
    their cell, else of a core point within eps in the cells at outer offsets, else NOISE.
    `label_of_cell`: per core cell (position in the core cells) its cluster."""
    labels = np.full(len(core), NOISE, dtype=np.int64)
    others = np.flatnonzero(~core)
    cells = np.flatnonzero(np.bincount(cell_of[others], minlength=len(per_cell)))
    cells = cells[_covered(grid, np.flatnonzero(per_cell), outer, cells, runs)]  # the rest is noise
    rows, cols = grid.rows[cells], grid.cols[cells]
    label = np.full(len(cells), NOISE, dtype=np.int64)
    r = len(inner) // 2
    for d, h in zip(range(-r, r + 1), inner):
        todo = np.flatnonzero(label == NOISE)
        found, first, _ = runs(rows[todo] + d, cols[todo] - h, cols[todo] + h)
        label[todo[found]] = label_of_cell[first]
    by_cell = np.full(len(per_cell), NOISE, dtype=np.int64)
    by_cell[cells] = label
    labels[others] = by_cell[cell_of[others]]
    marked = np.zeros(len(per_cell), dtype=bool)
    marked[cells[label == NOISE]] = True
    queries = others[marked[cell_of[others]]]
    if not len(queries):
        return labels
    r = len(outer) // 2
    # Core points of the cells at outer offsets (those at inner offsets hold none): exact distances.
    core_cell_pos = np.cumsum(per_cell > 0) - 1
    core_before = np.r_[0, np.cumsum(core)]  # core points before a sorted position: their index in core_pos

    def chunk(s, e):
        qs = queries[s:e]
        qrow, qcol = grid.rows[cell_of[qs]] + grid.x0, grid.cols[cell_of[qs]] + grid.y0
        starts, ends = [], []
        for d, h in zip(range(-r, r + 1), outer):
            a, b = fr.run_span(qrow + d, qcol - h, qcol + h)
            starts.append(core_before[a])
            ends.append(core_before[b])
        owner, k = _spans(np.concatenate(starts), np.concatenate(ends))
        owner %= len(qs)
        cand = core_pos[k]
        q = qs[owner]
        hit = np.flatnonzero(_within(fr.x[q], fr.y[q], fr.x[cand], fr.y[cand], eps))
        who, first = np.unique(owner[hit], return_index=True)
        labels[qs[who]] = label_of_cell[core_cell_pos[cell_of[cand[hit[first]]]]]

    _each_chunk(chunk, len(queries), CHUNK // 4)
    return labels


def dbscan_points(x, y, eps: float, min_points: int, cells_per_eps: int = CELLS_PER_EPS) -> np.ndarray:
    """DBSCAN labels (0.. by falling number of core points, or NOISE) of metric points, as ST_ClusterDBSCAN."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if not eps > 0:
        raise ValueError("eps must be positive")
    if cells_per_eps < 2:
        raise ValueError("cells_per_eps must be at least 2 (a cell's diagonal must be shorter than eps)")
    scale = max(float(np.abs(x).max()), float(np.abs(y).max()))
    if not np.isfinite(scale):
        raise ValueError("coordinates must be finite")
    delta = 1e-12 * (2 * scale + eps) + 1e-7 * eps  # far above rounding errors of cell and chord arithmetic
    if eps < 1000 * delta:
        raise ValueError("eps is too small for the magnitude of the coordinates")
    g = eps / cells_per_eps
    inner, outer = _stencil(eps, g, delta, True), _stencil(eps, g, delta, False)
    fr = _Frame(x, y, g, len(outer) // 2 + 3)
    rows, cols, first, counts, cell_of = fr.cells()
    m = len(first)

    # Core points: bounds per cell, then per point, exact distances only where the bounds straddle min_points.
    maybe = np.flatnonzero(fr.stencil_count(rows, cols, outer) >= min_points)
    sure = fr.stencil_count(rows[maybe], cols[maybe], inner) >= min_points
    core_cell = np.zeros(m, dtype=bool)
    core_cell[maybe[sure]] = True
    core = np.repeat(core_cell, counts)
    open_cell = np.zeros(m, dtype=bool)
    open_cell[maybe[~sure]] = True
    queries = np.flatnonzero(np.repeat(open_cell, counts))
    if len(queries):
        core[queries] = _exact_core(fr, queries, eps, delta, min_points)
    per_cell = np.bincount(cell_of[core], minlength=m)
    core_cells = np.flatnonzero(per_cell)
    labels = np.full(n, NOISE, dtype=np.int64)
    if not len(core_cells):
        return labels

    # Clusters of core points: components of the core cells, joined for sure at inner offsets and by exact
    # closest pairs at outer ones.
    grid = _Grid(rows, cols, len(outer) // 2 + 1)
    runs, at = grid.core_index(per_cell > 0)
    comp = _core_components(grid, per_cell > 0, inner, runs)
    core_pos = np.flatnonzero(core)
    core_first = np.searchsorted(core_pos, first[core_cells])
    comp = _join_ring(fr, grid, core_cells, core_pos, core_first, per_cell[core_cells], comp, inner, outer, at, eps)
    # Number clusters by falling count of core points, ties by their first cell (cluster 0 is the biggest).
    _, head, comp = np.unique(comp, return_index=True, return_inverse=True)
    comp = comp.ravel()
    size = np.bincount(comp, weights=per_cell[core_cells])
    rank = np.empty(len(size), dtype=np.int64)
    rank[np.lexsort((head, -size))] = np.arange(len(size))
    label_of_cell = rank[comp]
    sorted_labels = _border(fr, grid, core, cell_of, per_cell, core_pos, label_of_cell, inner, outer, runs, eps)
    sorted_labels[core] = label_of_cell[(np.cumsum(per_cell > 0) - 1)[cell_of[core]]]
    labels[fr.order] = sorted_labels
    return labels


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


DEGENERATE_HULL_M = 1.0  # a cluster on one position or one line is shown grown by this much


def _hull(x: np.ndarray, y: np.ndarray) -> Polygon:
    """Convex hull of points; a point or line hull grown by DEGENERATE_HULL_M so that it is a polygon.

    Points strictly inside the octagon of the extreme points in eight directions cannot be hull vertices;
    they are dropped first, which keeps the hull cheap for clusters of many reports.
    """
    extremes = np.array([np.argmin(x), np.argmin(x + y), np.argmin(y), np.argmax(x - y), np.argmax(x),
                         np.argmax(x + y), np.argmax(y), np.argmax(y - x)])  # counter-clockwise
    ex, ey = x[extremes], y[extremes]
    inside = np.arange(len(x))
    for k in range(8):  # strictly left of every edge of the octagon: strictly inside it
        ax, ay, bx, by = ex[k], ey[k], ex[(k + 1) % 8], ey[(k + 1) % 8]
        inside = inside[(bx - ax) * (y[inside] - ay) - (by - ay) * (x[inside] - ax) > 0]
    keep = np.ones(len(x), dtype=bool)
    keep[inside] = False
    pts = np.column_stack((x[keep], y[keep]))
    if len(pts) >= 3:
        try:
            return Polygon(pts[ConvexHull(pts).vertices])  # counter-clockwise
        except QhullError:  # all on one line (or one position)
            pass
    return shapely.convex_hull(shapely.multipoints(pts)).buffer(DEGENERATE_HULL_M, quad_segs=4)


def summarise_clusters(labels, x, y, days, building, retagged) -> list[Cluster]:
    """Per cluster (label >= 0): hull of its reports, report count, first/last date, buildings.

    Per report: its cluster label (NOISE for none), metric position, date (days), building id (-1 for none)
    and whether it was a re-tag. Clusters are listed by falling report count.
    """
    labels = np.asarray(labels)
    inside = np.flatnonzero(labels >= 0)
    lab = labels[inside]
    small = len(lab) == 0 or lab.max() < 2**16  # then a radix sort of 16-bit labels
    order = inside[np.argsort(lab.astype(np.uint16) if small else lab, kind="stable")]
    lab = labels[order]
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    if not len(lab):
        return []
    days, building = np.asarray(days)[order], np.asarray(building, dtype=np.int64)[order]
    known = building >= 0
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    first, last = np.minimum.reduceat(days, starts), np.maximum.reduceat(days, starts)
    buildings = _distinct_per_label(lab, building, known)
    retagged_buildings = _distinct_per_label(lab, building, known & np.asarray(retagged, dtype=bool)[order])
    out = []
    for i, (s, e) in enumerate(zip(starts, np.r_[starts[1:], len(lab)])):
        out.append(Cluster(int(lab[s]), _hull(x[s:e], y[s:e]), int(e - s), float(first[i]), float(last[i]),
                           int(buildings[lab[s]]), int(retagged_buildings[lab[s]])))
    out.sort(key=lambda c: (-c.count, c.label))
    return out


def _distinct_per_label(lab: np.ndarray, values: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per label 0..lab.max(): the number of distinct non-negative values among the elements marked `use`
    (one sort of label-value pairs instead of one unique per label)."""
    span = int(values[use].max()) + 1 if use.any() else 1
    pairs = np.sort(lab[use] * span + values[use])
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(distinct // span, minlength=int(lab.max()) + 1)
