"""Kernel density of reports: a Gaussian kernel with a stated bandwidth, on a metric raster.

Reports are binned to a raster of `resolution` metres (linear binning would change little: the
resolution is a quarter of the bandwidth or finer) and smoothed with a Gaussian of standard deviation
`bandwidth` metres, truncated at four bandwidths. Density is reports per square kilometre.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

DEFAULT_BANDWIDTH = 150.0


@dataclass
class Density:
    """A density raster: values[row, col] at centre (x0 + (col + .5) res, y0 + (row + .5) res)."""

    values: np.ndarray
    x0: float
    y0: float
    resolution: float
    bandwidth: float

    def sample(self, x, y) -> np.ndarray:
        """Bilinearly interpolated density at metric points (0 outside the raster)."""
        col = (np.asarray(x, dtype=float) - self.x0) / self.resolution - 0.5
        row = (np.asarray(y, dtype=float) - self.y0) / self.resolution - 0.5
        return ndimage.map_coordinates(self.values, [row, col], order=1, mode="constant", cval=0.0)

    def cells(self, min_share: float = 0.05):
        """(x, y, density) of the raster cells holding at least `min_share` of the peak density."""
        peak = float(self.values.max()) if self.values.size else 0.0
        if peak <= 0:
            return np.empty(0), np.empty(0), np.empty(0)
        rows, cols = np.nonzero(self.values >= peak * min_share)
        return (self.x0 + (cols + 0.5) * self.resolution, self.y0 + (rows + 0.5) * self.resolution,
                self.values[rows, cols])


def default_resolution(bandwidth: float) -> float:
    """Raster resolution for a bandwidth: a quarter of it, at least 10 m."""
    return max(bandwidth / 4.0, 10.0)


def kde(x, y, bounds, bandwidth: float = DEFAULT_BANDWIDTH, resolution: float | None = None,
        weights=None, max_cells: int = 4_000_000) -> Density:
    """Gaussian kernel density (reports per km²) of metric points over `bounds` (minx, miny, maxx, maxy)."""
    if bandwidth <= 0:
        raise ValueError("bandwidth must be positive")
    res = float(resolution or default_resolution(bandwidth))
    minx, miny, maxx, maxy = bounds
    pad = 4 * bandwidth
    x0, y0 = math.floor((minx - pad) / res) * res, math.floor((miny - pad) / res) * res
    ncols = math.ceil((maxx + pad - x0) / res) + 1
    nrows = math.ceil((maxy + pad - y0) / res) + 1
    while nrows * ncols > max_cells:  # keep the raster bounded for very large areas
        res *= 1.5
        x0, y0 = math.floor((minx - pad) / res) * res, math.floor((miny - pad) / res) * res
        ncols = math.ceil((maxx + pad - x0) / res) + 1
        nrows = math.ceil((maxy + pad - y0) / res) + 1
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    cols = np.floor((x - x0) / res).astype(np.int64)
    rows = np.floor((y - y0) / res).astype(np.int64)
    ok = (cols >= 0) & (cols < ncols) & (rows >= 0) & (rows < nrows)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(rows[ok] * ncols + cols[ok], weights=w[ok], minlength=nrows * ncols)
    counts = counts.reshape(nrows, ncols)
    smooth = ndimage.gaussian_filter(counts, sigma=bandwidth / res, mode="constant", truncate=4.0)
    density = smooth / (res * res) * 1e6  # per km²
    return Density(density, x0, y0, res, float(bandwidth))
