"""Near-repeat analysis: the Knox test with Monte Carlo permutation of dates.

For every pair of incidents closer than the largest distance band, the pair is counted in the
(distance band, time band) cell of its spatial distance and the days between the two incidents. The
expected count of each cell comes from permuting the dates over the locations (which keeps the spatial
and the temporal pattern each, and breaks only their interaction); observed / expected above 1 with a
small p-value means that after an incident, nearby places are hit again within that time more often
than chance: the near-repeat risk. Bands are (lo, hi], the first one closed at its lower edge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

DEFAULT_DISTANCES = (0.0, 100.0, 200.0, 400.0, 800.0)
DEFAULT_DAYS = (0.0, 7.0, 14.0, 30.0, 60.0)
MAX_PAIRS = 30_000_000


class TooManyPairs(ValueError):
    """The incidents form more pairs than a test can permute in reasonable time."""


@dataclass
class KnoxResult:
    """Observed and expected pair counts per (distance band, time band), their ratio and p-values."""

    distance_edges: list[float]
    day_edges: list[float]
    observed: np.ndarray
    expected: np.ndarray
    p_values: np.ndarray
    permutations: int
    incidents: int
    pairs: int

    @property
    def ratio(self) -> np.ndarray:
        """Observed / expected (nan where nothing was expected)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """Cells with more pairs than expected at level alpha."""
        return (self.p_values <= alpha) & (self.observed > self.expected)


def _band(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band index of each value, -1 outside all bands."""
    idx = np.searchsorted(edges[1:], values, side="left")
    idx[(values < edges[0]) | (idx >= len(edges) - 1)] = -1
    return idx


def count_pairs(x, y, max_distance: float) -> int:
    """How many incident pairs lie within `max_distance` metres of each other (without listing them)."""
    n = len(x)
    if n < 2:
        return 0
    tree = cKDTree(np.column_stack((np.asarray(x, dtype=float), np.asarray(y, dtype=float))))
    return int((tree.count_neighbors(tree, max_distance) - n) // 2)


def knox_test(x, y, days, distance_edges=DEFAULT_DISTANCES, day_edges=DEFAULT_DAYS, permutations: int = 99,
              seed: int | None = 0) -> KnoxResult:
    """Knox test over metric positions and dates (in days); p-values from `permutations` date shuffles."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    t = np.asarray(days, dtype=float)
    d_edges = np.asarray(distance_edges, dtype=float)
    t_edges = np.asarray(day_edges, dtype=float)
    if len(d_edges) < 2 or len(t_edges) < 2 or np.any(np.diff(d_edges) <= 0) or np.any(np.diff(t_edges) <= 0):
        raise ValueError("band edges must be at least two increasing numbers")
    if permutations < 1:
        raise ValueError("at least one permutation is needed")
    nd, nt = len(d_edges) - 1, len(t_edges) - 1
    n = len(x)
    if n < 2:
        pairs = np.empty((0, 2), dtype=np.int64)
    else:
        tree = cKDTree(np.column_stack((x, y)))
        if tree.count_neighbors(tree, d_edges[-1]) > 2 * MAX_PAIRS + n:
            raise TooManyPairs("too many incident pairs: narrow the period or the area")
        pairs = tree.query_pairs(d_edges[-1], output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    dband = _band(np.hypot(x[i] - x[j], y[i] - y[j]), d_edges)
    keep = dband >= 0
    i, j, dband = i[keep], j[keep], dband[keep]

    def table(tt):
        tband = _band(np.abs(tt[i] - tt[j]), t_edges)
        ok = tband >= 0
        return np.bincount(dband[ok] * nt + tband[ok], minlength=nd * nt).reshape(nd, nt)

    observed = table(t)
    rng = np.random.default_rng(seed)
    total = np.zeros((nd, nt))
    at_least = np.zeros((nd, nt))
    for _ in range(permutations):
        sim = table(rng.permutation(t))
        total += sim
        at_least += sim >= observed
    return KnoxResult(d_edges.tolist(), t_edges.tolist(), observed, total / permutations,
                      (at_least + 1) / (permutations + 1), permutations, n, len(i))
