"""How good is a hotspot map? Predictive Accuracy Index and Recapture Rate Index.

- PAI (Chainey, Tompson and Uhlig 2008): (n / N) / (a / A), the share of incidents inside the hotspots
  divided by the hotspots' share of the study area. 1 means no better than chance.
- RRI (Levine 2008): (n2 / n1) / (N2 / N1), incidents in the hotspots of period t counted in period t
  (n1) and period t+1 (n2), against all incidents of both periods (N1, N2). Above 1: the hotspots of
  period t keep (recapture) more than their share of the next period's incidents.

Is a PAI above 1 more than chance? Under "the hotspots are no better than any other area of the same size",
each of period t+1's N2 incidents falls into them with probability a/A (their area share), so the hits n2 are
binomial(N2, a/A): an exact one-sided binomial test (scipy.stats.binomtest, alternative "greater") gives the
p-value, and the exact (Clopper-Pearson) 95 % interval of the hit rate, divided by a/A, the interval of the
PAI. The test treats incidents as independent; repeat incidents at one place make it optimistic, so the verdict
is shown only when it is significant and there were enough reports for hotspots in the first place.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

ALPHA = 0.05


def pai(n_in: float, n_total: float, area_hot: float, area_total: float) -> float | None:
    """Predictive Accuracy Index; None when undefined (no incidents, no hotspot area)."""
    if n_total <= 0 or area_hot <= 0 or area_total <= 0:
        return None
    return float((n_in / n_total) / (area_hot / area_total))


def rri(n1_in: float, n2_in: float, n1_total: float, n2_total: float) -> float | None:
    """Recapture Rate Index; None when undefined (no incidents in the hotspots in period t, or none at all)."""
    if n1_in <= 0 or n1_total <= 0 or n2_total <= 0:
        return None
    return float((n2_in / n1_in) / (n2_total / n1_total))


@dataclass
class Evaluation:
    """PAI of period t's hotspots on t and on t+1, and the RRI between them."""

    hot_cells: int
    cells: int
    area_share: float
    n1_in: int
    n1_total: int
    n2_in: int
    n2_total: int
    pai_t: float | None
    pai_next: float | None
    rri: float | None
    sufficient: bool = True  # enough reports for hotspots and for the test (set by the caller)

    @property
    def hit_rate_next(self) -> float | None:
        """Share of period t+1's incidents that fall in period t's hotspots."""
        return self.n2_in / self.n2_total if self.n2_total else None

    @property
    def test(self) -> HitTest | None:
        """The exact binomial test of the hits against the area share (None without hotspots or incidents)."""
        return hit_test(self.n2_in, self.n2_total, self.area_share)

    @property
    def verdict(self) -> str:
        """"better" (the hotspots predict significantly better than chance), "not_significant", "no_hotspots" or
        "too_few_reports": only "better" may be stated as a finding."""
        if not self.sufficient:
            return "too_few_reports"
        t = self.test
        if t is None:
            return "no_hotspots"
        return "better" if t.p_value <= ALPHA else "not_significant"


@dataclass
class HitTest:
    """Exact one-sided binomial test of hits against the area share, with 95 % intervals of hit rate and PAI."""

    p_value: float
    hit_rate_low: float
    hit_rate_high: float
    pai_low: float
    pai_high: float


def hit_test(hits: int, total: int, area_share: float, confidence: float = 0.95) -> HitTest | None:
    """The binomial test of `hits` of `total` incidents in hotspots covering `area_share` of the area."""
    if total <= 0 or not 0 < area_share < 1:
        return None
    res = binomtest(int(hits), int(total), area_share, alternative="greater")
    ci = binomtest(int(hits), int(total), area_share).proportion_ci(confidence, method="exact")
    return HitTest(float(res.pvalue), float(ci.low), float(ci.high), float(ci.low / area_share),
                   float(ci.high / area_share))


def evaluate(hot: np.ndarray, counts_t: np.ndarray, counts_next: np.ndarray, cell_area: float | np.ndarray = 1.0
             ) -> Evaluation:
    """Evaluate a boolean hotspot mask over grid cells with incident counts in periods t and t+1."""
    hot = np.asarray(hot, dtype=bool)
    counts_t = np.asarray(counts_t, dtype=float)
    counts_next = np.asarray(counts_next, dtype=float)
    area = np.broadcast_to(np.asarray(cell_area, dtype=float), hot.shape)
    a_hot, a_all = float(area[hot].sum()), float(area.sum())
    n1_in, n1 = counts_t[hot].sum(), counts_t.sum()
    n2_in, n2 = counts_next[hot].sum(), counts_next.sum()
    return Evaluation(int(hot.sum()), len(hot), a_hot / a_all if a_all else 0.0, int(n1_in), int(n1),
                      int(n2_in), int(n2), pai(n1_in, n1, a_hot, a_all), pai(n2_in, n2, a_hot, a_all),
                      rri(n1_in, n2_in, n1, n2))
