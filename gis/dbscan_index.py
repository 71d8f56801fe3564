"""The exact index of gis.dbscan: cell stencils, the occupied-cell grid, the sorted fine raster with its prefix
counts, the per-point bound tables, and chunked work on a few threads.

Every structure here only decides which point pairs are clearly nearer or farther than eps (bounds widened by a
rounding margin `delta`); gis.dbscan computes the exact distances of the others. See gis.dbscan for the method.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

DENSE_LIMIT = 12_000_000  # raster cells up to which look-ups use dense arrays instead of binary search
FINE_COLUMNS = 4  # columns of the counting raster: a quarter cell wide (its rows are a cell high)
ROW_CLASSES, COLUMN_CLASSES = 16, 4  # positions inside a fine cell, quantised for the per-point bound tables
FINE_LIMIT = 16_000_000  # fine raster cells up to which prefix counts are a dense array (else binary search)
CHUNK = 32_768  # points per step of the per-point bounds
THREADS = min(os.cpu_count() or 1, 4)  # numpy releases the GIL: chunks of a step run on this many threads
_pool: ThreadPoolExecutor | None = None


def each_chunk(fn, n: int, size: int) -> None:
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


def within(x1, y1, x2, y2, eps: float) -> np.ndarray:
    """PostGIS' point distance test: sqrt(dx * dx + dy * dy) <= eps (no fused multiply-add, as numpy)."""
    dx = np.subtract(x2, x1)
    dx *= dx
    dy = np.subtract(y2, y1)
    dy *= dy
    dx += dy
    return np.sqrt(dx, out=dx) <= eps


def stencil(eps: float, g: float, delta: float, inner: bool) -> np.ndarray:
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


class Grid:
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


def spans(starts: np.ndarray, ends: np.ndarray):
    """Concatenated ranges [starts[i], ends[i]): per element the index i of its range, and the element."""
    lens = np.maximum(ends - starts, 0)
    owner = np.repeat(np.arange(len(lens)), lens)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, np.repeat(starts, lens) + offsets


def sort_keys(keys: np.ndarray, size: int):
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


class Frame:
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
        self.order, self.keys = sort_keys(keys, self.nrows * self.width)
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
            for d, h in zip(range(-r, r + 1), halves, strict=True):
                start, end = self.run_span(rows[s:e] + d, cols[s:e] - h, cols[s:e] + h)
                total[s:e] += end - start

        each_chunk(chunk, len(rows), 4 * CHUNK)
        return total


def bound_table(eps: float, delta: float, hr: float, hc: float, reach: int) -> np.ndarray:
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
