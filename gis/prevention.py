"""Did a prevention measure work? Before/after counts in a treatment area, a buffer ring and a control area.

Notation (Welsh and Farrington): a, b = incidents in the treatment area before and after the measure's start;
c, d = incidents in the control area before and after (equal periods, optionally with a gap between them).

- Relative effect size RES = (a*d) / (b*c): the treatment area's before/after ratio over the control area's.
  2 means the treatment area has half the incidents it would have had if it had changed like the control
  area; 1 no effect; below 1 an increase. Its logarithm is roughly normal with variance 1/a + 1/b + 1/c + 1/d
  when counts are Poisson. Counts of graffiti are usually overdispersed (a wall sprayed once is sprayed
  again), which makes that interval too narrow; following Farrington and Welsh's variance inflation each
  count's term is multiplied by its dispersion D (Pearson chi-square of its monthly counts over their
  degrees of freedom, a quasi-Poisson estimate), but only when a chi-square test shows overdispersion
  (p < 0.05); otherwise D = 1.
- Weighted Displacement Quotient (Bowers and Johnson 2003), with B = the buffer ring around the treatment area:
  WDQ = (Ba/Ca - Bb/Cb) / (Aa/Ca - Ab/Cb). The denominator (success measure) is negative when the treatment
  area improved relative to the control area; the numerator (buffer displacement measure) is positive when the
  buffer got worse relative to the control area. Only with a success (here: a relative effect size whose interval
  lies above 1) does the WDQ mean something: above 0
  diffusion of benefits (the buffer improved too), below 0 displacement, below -1 more displaced than saved.
- Re-spray share: of the removals in a period, the share followed by a new report at the same place within
  90 days.
- Cost balance: removals expected after the start (removals before times the control area's change d/c)
  minus removals observed, times the mean cost of a removal, against the measure's cost.

Pure functions on counts and dates: no database, no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from math import exp, log, sqrt

import numpy as np
from scipy.stats import chi2, norm

ALPHA = 0.05
Z95 = float(norm.ppf(0.975))  # 1.959964...
# Fewer incidents than this in the treatment area (before and after together), or an empty count anywhere,
# and the evaluation says "too few incidents to judge" instead of figures.
MIN_TREATMENT_INCIDENTS = 20
RESPRAY_DAYS = 90
# |WDQ| below this counts as neither displacement nor diffusion worth a word.
WDQ_NEGLIGIBLE = 0.1


def dispersion(monthly_counts) -> tuple[float, float]:
    """(D, p) of one count's monthly values: Pearson chi-square / degrees of freedom and the chi-square test's
    p-value for overdispersion (D = 1, p = 1 with fewer than two months or no incidents)."""
    x = np.asarray(monthly_counts, dtype=float)
    if x.size < 2 or x.sum() <= 0:
        return 1.0, 1.0
    mean = x.mean()
    stat = float(((x - mean) ** 2).sum() / mean)
    df = x.size - 1
    return stat / df, float(chi2.sf(stat, df))


def inflation(monthly_counts, alpha: float = ALPHA) -> float:
    """The variance inflation factor of one count: its dispersion when significantly above 1, else 1."""
    d, p = dispersion(monthly_counts)
    return d if (d > 1 and p < alpha) else 1.0


@dataclass
class EffectSize:
    """Relative effect size with its 95 % confidence interval."""

    res: float
    low: float
    high: float
    log_variance: float
    inflation: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    z: float = 0.0
    p: float = 1.0

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 1 (no effect)."""
        return self.low > 1 or self.high < 1

    @property
    def overdispersed(self) -> bool:
        """Whether the overdispersion correction widened the interval."""
        return any(f > 1 for f in self.inflation)

    @property
    def change_percent(self) -> float:
        """The treatment area's change against what the control area's change predicts, in percent
        (RES 2 = -50 %)."""
        return (1 / self.res - 1) * 100


def relative_effect_size(a: float, b: float, c: float, d: float, monthly=None, alpha: float = ALPHA
                         ) -> EffectSize | None:
    """RES = (a*d)/(b*c) with its 95 % interval; `monthly` = the four counts' monthly values (a, b, c, d) for
    the overdispersion correction. None when a count is zero (the ratio is undefined)."""
    if min(a, b, c, d) <= 0:
        return None
    factors = tuple(inflation(m, alpha) for m in monthly) if monthly is not None else (1.0,) * 4
    res = (a * d) / (b * c)
    variance = sum(f / n for f, n in zip(factors, (a, b, c, d), strict=True))
    half = Z95 * sqrt(variance)
    z = log(res) / sqrt(variance)
    return EffectSize(res=res, low=exp(log(res) - half), high=exp(log(res) + half), log_variance=variance,
                      inflation=factors, z=z, p=float(2 * norm.sf(abs(z))))


@dataclass
class Displacement:
    """Weighted Displacement Quotient and its parts."""

    success_measure: float      # Aa/Ca - Ab/Cb: negative = the treatment area improved against the control
    buffer_measure: float       # Ba/Ca - Bb/Cb: positive = the buffer got worse against the control
    wdq: float | None           # None without a success (the quotient means nothing then)
    verdict: str                # a code of labels.DISPLACEMENT


def weighted_displacement_quotient(treat_before: float, treat_after: float, buffer_before: float,
                                   buffer_after: float, control_before: float, control_after: float
                                   ) -> Displacement | None:
    """Bowers and Johnson's WDQ; None when a control count is zero."""
    if control_before <= 0 or control_after <= 0:
        return None
    success = treat_after / control_after - treat_before / control_before
    buffer = buffer_after / control_after - buffer_before / control_before
    if success >= 0:
        return Displacement(success, buffer, None, "no_success")
    wdq = buffer / success
    if abs(wdq) < WDQ_NEGLIGIBLE:
        verdict = "none"
    elif wdq > 1:
        verdict = "diffusion_more"
    elif wdq > 0:
        verdict = "diffusion"
    elif wdq >= -1:
        verdict = "displacement"
    else:
        verdict = "displacement_more"
    return Displacement(success, buffer, wdq, verdict)


@dataclass
class Respray:
    """Removals in a period and how many were followed by a new report at the same place within the window."""

    removals: int
    resprayed: int

    @property
    def share(self) -> float | None:
        """The re-sprayed share (None without removals)."""
        return self.resprayed / self.removals if self.removals else None


def respray(removals, reports, first: date, last: date, days: int = RESPRAY_DAYS) -> Respray:
    """Removals `(place, day)` on days from `first` to `last - days` (so that each one's window ends by `last`)
    and how many have a report `(place, day)` at the same place within `days` days after the removal."""
    by_place: dict = {}
    for place, day in reports:
        by_place.setdefault(place, []).append(day)
    counted = resprayed = 0
    for place, day in removals:
        if not (first <= day <= last - timedelta(days=days)):
            continue
        counted += 1
        if any(day < later <= day + timedelta(days=days) for later in by_place.get(place, ())):
            resprayed += 1
    return Respray(counted, resprayed)


@dataclass
class CostBalance:
    """Removals expected without the measure against those observed, and what the difference is worth."""

    expected_removals: float
    observed_removals: int
    mean_cost: float
    avoided_cost: float
    measure_cost: float

    @property
    def net(self) -> float:
        """Avoided removal costs minus the measure's cost (positive: it paid for itself)."""
        return self.avoided_cost - self.measure_cost


def cost_balance(removals_before: int, removals_after: int, control_before: float, control_after: float,
                 mean_cost: float, measure_cost: float) -> CostBalance | None:
    """Expected removals after = removals before x (control after / control before); avoided cost =
    (expected - observed) x mean cost. None without control incidents before."""
    if control_before <= 0:
        return None
    expected = removals_before * control_after / control_before
    return CostBalance(expected, removals_after, mean_cost, (expected - removals_after) * mean_cost, measure_cost)


@dataclass
class MeasureCounts:
    """Monthly incident counts of one measure's areas: before and after, per area (months in order)."""

    treatment_before: list
    treatment_after: list
    buffer_before: list
    buffer_after: list
    control_before: list
    control_after: list

    def totals(self) -> dict:
        """Totals per area and period."""
        return {k: int(sum(v)) for k, v in self.__dict__.items()}


@dataclass
class Assessment:
    """The whole before/after evaluation of a measure's incident counts."""

    totals: dict
    sufficient: bool
    effect: EffectSize | None = None
    buffer_effect: EffectSize | None = None
    displacement: Displacement | None = None
    notes: list = field(default_factory=list)


def assess(counts: MeasureCounts, minimum: int = MIN_TREATMENT_INCIDENTS) -> Assessment:
    """RES of the treatment area and of the buffer, and the WDQ; or `sufficient=False` below `minimum`
    incidents in the treatment area or with an empty count."""
    t = counts.totals()
    a, b = t["treatment_before"], t["treatment_after"]
    c, d = t["control_before"], t["control_after"]
    if a + b < minimum or min(a, b, c, d) <= 0:
        return Assessment(t, False)
    effect = relative_effect_size(a, b, c, d, (counts.treatment_before, counts.treatment_after,
                                               counts.control_before, counts.control_after))
    buffer_effect = relative_effect_size(t["buffer_before"], t["buffer_after"], c, d,
                                         (counts.buffer_before, counts.buffer_after,
                                          counts.control_before, counts.control_after))
    displacement = weighted_displacement_quotient(a, b, t["buffer_before"], t["buffer_after"], c, d)
    if displacement is not None and effect.low <= 1:
        # without a demonstrable fall in the treatment area the quotient's denominator is noise
        displacement = Displacement(displacement.success_measure, displacement.buffer_measure, None, "no_success")
    return Assessment(t, True, effect, buffer_effect, displacement)
