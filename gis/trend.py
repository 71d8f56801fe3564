"""Mann-Kendall trend test, vectorised over many series (one per grid cell).

S = sum over i < j of sign(x_j - x_i); Var(S) = (n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)) / 18;
z = (S - 1) / sqrt(Var S) for S > 0, (S + 1) / sqrt(Var S) for S < 0, else 0 (continuity correction);
two-sided p from the normal distribution; Kendall's tau = S / (n(n-1)/2). This is the "original test" of
Mann (1945) and Kendall (1975) as in Hussain and Mahmud's pyMannKendall; tests compare S and the uncorrected
p-value with scipy.stats.kendalltau of the series against time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class Trend:
    """Per series: Mann-Kendall S, its variance, z (continuity-corrected), two-sided p and Kendall's tau."""

    s: np.ndarray
    var: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray


def mann_kendall(series) -> Trend:
    """The Mann-Kendall test of each row of `series` (rows: series, columns: time steps in order)."""
    x = np.atleast_2d(np.asarray(series, dtype=float))
    rows, n = x.shape
    if n < 3:
        raise ValueError("the Mann-Kendall test needs at least three time steps")
    s = np.zeros(rows)
    for k in range(n - 1):  # n is small (months or quarters): one pass per step, vectorised over the rows
        s += np.sign(x[:, k + 1:] - x[:, k:k + 1]).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - _tie_terms(x)) / 18.0
    root = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(root > 0, (s - np.sign(s)) / root, 0.0)
    return Trend(s, var, z, 2 * stats.norm.sf(np.abs(z)), s / (n * (n - 1) / 2))


def _tie_terms(x: np.ndarray) -> np.ndarray:
    """Per row: the sum over groups of equal values of t(t-1)(2t+5)."""
    xs = np.sort(x, axis=1)
    rows, n = xs.shape
    new_group = np.ones((rows, n), dtype=bool)
    new_group[:, 1:] = xs[:, 1:] != xs[:, :-1]
    out = np.zeros(rows)
    # Group sizes from the positions where groups start (row by row would be slow for many cells).
    r, c = np.nonzero(new_group)
    ends = np.r_[c[1:], n]
    ends[np.r_[r[1:] != r[:-1], True]] = n
    t = (ends - c).astype(float)
    np.add.at(out, r, t * (t - 1) * (2 * t + 5))
    return out
