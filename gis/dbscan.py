"""Density clusters: exact DBSCAN on metric points (what PostGIS ST_ClusterDBSCAN computes).

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
than eps, and the exact formula decides the others, down to distances of exactly eps. The grid, the raster and
the bound tables live in gis.dbscan_index; summaries of the clusters found in gis.clusters.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gis import dbscan_index as ix

NOISE = -1
CELLS_PER_EPS = 5  # grid side eps / 5: finer grids decide more by bounds but cost more look-ups per cell
PAIR_BUDGET = 1_000_000  # point pairs tested at once when joining components exactly


def _core_components(grid: ix.Grid, core: np.ndarray, halves, runs) -> np.ndarray:
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
    # pairs across rows: look from the lower row only
    for d, h in zip(range(1, r + 1), halves[r + 1:], strict=True):
        found, first, last = runs(rows + d, cols - h, cols + h)
        idx = everyone[found]
        src += [idx, idx]
        dst += [first, last]
    s = np.concatenate(src)
    t = np.concatenate(dst)
    graph = coo_matrix((np.ones(len(s), dtype=np.int8), (s, t)), shape=(m, m)).tocsr()
    _, comp = connected_components(graph, directed=False)
    return comp


def _exact_core(fr: ix.Frame, queries: np.ndarray, eps: float, delta: float, min_points: int) -> np.ndarray:
    """Core flags of the points at sorted positions `queries`: per-point bounds from the fine raster (one
    table per class of position), exact distances only to the points of the cells in between."""
    reach = math.floor((eps + 3 * delta) / fr.hr) + 1
    table = ix.bound_table(eps, delta, fr.hr, fr.hc, reach)
    table += (np.arange(-reach, reach + 1) * fr.width)[None, :, None]  # as key offsets
    sure_part, maybe_part = np.ascontiguousarray(table[..., 1:3]), np.ascontiguousarray(table[..., [0, 3]])
    core = np.zeros(len(queries), dtype=bool)

    def chunk(s, e):
        q = queries[s:e]
        fx, fy = fr.inside(q)
        cls = (np.minimum((fx * (ix.ROW_CLASSES / fr.hr)).astype(np.int64), ix.ROW_CLASSES - 1) * ix.COLUMN_CLASSES
               + np.minimum((fy * (ix.COLUMN_CLASSES / fr.hc)).astype(np.int64), ix.COLUMN_CLASSES - 1))
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
        hit = ix.within(np.repeat(fr.x[q[left]], per_query), np.repeat(fr.y[q[left]], per_query),
                      fr.x[pos], fr.y[pos], eps)
        hits = np.r_[0, np.cumsum(hit)]  # hits of query i: between its first and last pair
        last = np.cumsum(per_query)
        core[s + left] = lower[left] + (hits[last] - hits[last - per_query]) >= min_points

    ix.each_chunk(chunk, len(queries), ix.CHUNK)
    return core


def _join_ring(fr: ix.Frame, grid: ix.Grid, core_cells, core_pos, core_first, core_count, comp, inner, outer, at,
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
        hit[owner[ix.within(fr.x[a], fr.y[a], fr.x[b], fr.y[b], eps)]] = True
        if hit.any():
            ncomp = int(comp.max()) + 1
            graph = coo_matrix((np.ones(int(hit.sum()), dtype=np.int8), (comp[ci[hit]], comp[cj[hit]])),
                               shape=(ncomp, ncomp))
            _, merged = connected_components(graph, directed=False)
            comp = merged[comp]
    return comp


def _covered(grid: ix.Grid, core_cells: np.ndarray, halves: np.ndarray, cells: np.ndarray, runs) -> np.ndarray:
    """Per cell of `cells`: does a core cell lie at one of the stencil's offsets? (On a dense raster: runs
    of coverage counted from the core cells, usually far fewer than the cells asked about.)"""
    r = len(halves) // 2
    if not grid.dense:
        found = np.zeros(len(cells), dtype=bool)
        for d, h in zip(range(-r, r + 1), halves, strict=True):
            found |= runs(grid.rows[cells] + d, grid.cols[cells] - h, grid.cols[cells] + h)[0]
        return found
    w = grid.width + 1
    rows, cols = grid.rows[core_cells], grid.cols[core_cells]
    offsets = list(zip(range(-r, r + 1), halves, strict=True))
    starts = np.concatenate([(rows + d) * w + cols - h for d, h in offsets])
    ends = np.concatenate([(rows + d) * w + cols + h + 1 for d, h in offsets])
    diff = np.zeros(grid.nrows * w, dtype=np.int64)
    np.add.at(diff, starts, 1)
    np.add.at(diff, ends, -1)
    cover = np.cumsum(diff.reshape(grid.nrows, w), axis=1).ravel()
    return cover[grid.rows[cells] * w + grid.cols[cells]] > 0


def _border(fr: ix.Frame, grid: ix.Grid, core, cell_of, per_cell, core_pos, label_of_cell, inner, outer, runs,
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
    for d, h in zip(range(-r, r + 1), inner, strict=True):
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
        for d, h in zip(range(-r, r + 1), outer, strict=True):
            a, b = fr.run_span(qrow + d, qcol - h, qcol + h)
            starts.append(core_before[a])
            ends.append(core_before[b])
        owner, k = ix.spans(np.concatenate(starts), np.concatenate(ends))
        owner %= len(qs)
        cand = core_pos[k]
        q = qs[owner]
        hit = np.flatnonzero(ix.within(fr.x[q], fr.y[q], fr.x[cand], fr.y[cand], eps))
        who, first = np.unique(owner[hit], return_index=True)
        labels[qs[who]] = label_of_cell[core_cell_pos[cell_of[cand[hit[first]]]]]

    ix.each_chunk(chunk, len(queries), ix.CHUNK // 4)
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
    inner, outer = ix.stencil(eps, g, delta, True), ix.stencil(eps, g, delta, False)
    fr = ix.Frame(x, y, g, len(outer) // 2 + 3)
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
    grid = ix.Grid(rows, cols, len(outer) // 2 + 1)
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
