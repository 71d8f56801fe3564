"""Near-repeat analysis: the Knox test with Monte Carlo permutation of dates.

For every pair of incidents closer than the largest distance band, the pair is counted in the
(distance band, time band) cell of its spatial distance and the days between the two incidents. The
expected count of each cell comes from permuting the dates over the locations (which keeps the spatial
and the temporal pattern each, and breaks only their interaction); observed / expected above 1 with a
small p-value means that after an incident, nearby places are hit again within that time more often
than chance: the near-repeat risk. Bands are (lo, hi], the first one closed at its lower edge.

What to tell people: only cells with a ratio of at least RAISED_RATIO (1.2) and p <= ALPHA are "raised"; with
many pairs, ratios of 1.03 are significant and mean nothing for patrols. The p-values are Monte Carlo ones,
(simulations with at least the observed count + 1) / (permutations + 1): the smallest possible is
1 / (permutations + 1), 0.01 for 99 permutations, so "p = 0.010" there means no permutation reached the count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

DEFAULT_DISTANCES = (0.0, 100.0, 200.0, 400.0, 800.0)
DEFAULT_DAYS = (0.0, 7.0, 14.0, 30.0, 60.0)
MAX_PAIRS = 30_000_000
RAISED_RATIO = 1.2
ALPHA = 0.05


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
    permutations_requested: int = 0

    @property
    def ratio(self) -> np.ndarray:
        """Observed / expected (nan where nothing was expected)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    def significant(self, alpha: float = ALPHA, min_ratio: float = RAISED_RATIO) -> np.ndarray:
        """Raised cells: at least `min_ratio` times the expected pairs, and p <= alpha."""
        with np.errstate(invalid="ignore"):
            return (self.p_values <= alpha) & (self.ratio >= min_ratio)

    @property
    def smallest_p(self) -> float:
        """The smallest p-value the permutations can give: 1 / (permutations + 1)."""
        return 1.0 / (self.permutations + 1)

    def raised_band(self) -> tuple[float, float, float, float, float] | None:
        """The raised cell with the highest ratio, as (distance from, to, days from, to, ratio); None if none."""
        sig = self.significant()
        if not sig.any():
            return None
        ratio = np.where(sig, self.ratio, -np.inf)
        a, b = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        return (self.distance_edges[a], self.distance_edges[a + 1], self.day_edges[b], self.day_edges[b + 1],
                float(self.ratio[a, b]))


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
              seed: int | None = 0, max_work: float | None = None) -> KnoxResult:
    """Knox test over metric positions and dates (in days); p-values from `permutations` date shuffles (fewer,
    but at least 99, when pairs x permutations would exceed `max_work`)."""
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

    requested = permutations
    if max_work is not None and len(i):
        permutations = max(min(permutations, int(max_work // len(i))), min(permutations, 99))
    base = dband * (nt + 1)  # one spare column per distance band takes the pairs beyond the last time band

    def table(tt):
        dt = np.abs(tt[i] - tt[j])
        if t_edges[0] > 0:  # pairs closer in time than the first band count nowhere
            tband = _band(dt, t_edges)
            ok = tband >= 0
            return np.bincount(dband[ok] * nt + tband[ok], minlength=nd * nt).reshape(nd, nt)
        tband = np.searchsorted(t_edges[1:], dt, side="left")  # nt: beyond the last band
        return np.bincount(base + tband, minlength=nd * (nt + 1)).reshape(nd, nt + 1)[:, :nt]

    observed = table(t)
    rng = np.random.default_rng(seed)
    total = np.zeros((nd, nt))
    at_least = np.zeros((nd, nt))
    for _ in range(permutations):
        sim = table(rng.permutation(t))
        total += sim
        at_least += sim >= observed
    return KnoxResult(d_edges.tolist(), t_edges.tolist(), observed, total / permutations,
                      (at_least + 1) / (permutations + 1), permutations, n, len(i), requested)
