"""Evaluation of prevention measures: each formula on a hand-worked example, and generated scenarios whose truth
is known (a halving, no effect, overdispersed counts, displacement, diffusion)."""
from datetime import date

import numpy as np
import pytest

from gis.prevention import (
    MeasureCounts, assess, cost_balance, dispersion, inflation, relative_effect_size, respray,
    weighted_displacement_quotient,
)


def test_relative_effect_size_hand_worked():
    # a=60, b=30 (treatment halved), c=d=400 (control flat): RES = 60*400 / (30*400) = 2.
    # var(log RES) = 1/60 + 1/30 + 1/400 + 1/400 = 0.016667 + 0.033333 + 0.0025 + 0.0025 = 0.055
    # half width = 1.96 * sqrt(0.055) = 1.96 * 0.234521 = 0.459653; interval 2 * e^-0.459653 .. 2 * e^0.459653
    # = 2 * 0.631494 .. 2 * 1.583546 = 1.26299 .. 3.16709
    es = relative_effect_size(60, 30, 400, 400)
    assert es.res == pytest.approx(2.0)
    assert es.log_variance == pytest.approx(0.055)
    assert (es.low, es.high) == (pytest.approx(1.26299, abs=1e-4), pytest.approx(3.16709, abs=1e-4))
    assert es.significant and es.change_percent == pytest.approx(-50.0)
    # An increase: a=20, b=40, c=100, d=100 -> RES 0.5
    assert relative_effect_size(20, 40, 100, 100).res == pytest.approx(0.5)
    assert relative_effect_size(0, 4, 100, 100) is None


def test_dispersion_hand_worked():
    # [2, 4, 6, 8]: mean 5, squared deviations 9+1+1+9 = 20, chi-square 20/5 = 4 on 3 df: D = 1.333, p = 0.26
    d, p = dispersion([2, 4, 6, 8])
    assert d == pytest.approx(4 / 3) and p == pytest.approx(0.2615, abs=1e-3)
    assert inflation([2, 4, 6, 8]) == 1.0  # not significant: no correction
    # [0, 10, 0, 10]: deviations 25 each, chi-square 100/5 = 20 on 3 df: D = 6.667, p = 0.00017 -> corrected
    d, p = dispersion([0, 10, 0, 10])
    assert d == pytest.approx(20 / 3) and p < 0.001
    assert inflation([0, 10, 0, 10]) == pytest.approx(20 / 3)
    assert dispersion([0, 0, 0]) == (1.0, 1.0)


def test_the_correction_multiplies_each_count_term_by_its_dispersion():
    steady = [5] * 12                      # a = 60: no overdispersion
    bursty = [0, 10] * 6                   # b = 60: chi-square 12*25/5 = 60 on 11 df, D = 60/11
    es = relative_effect_size(60, 60, 600, 600, (steady, bursty, [50] * 12, [50] * 12))
    assert es.inflation == (1.0, pytest.approx(60 / 11), 1.0, 1.0) and es.overdispersed
    assert es.log_variance == pytest.approx(1 / 60 + (60 / 11) / 60 + 1 / 600 + 1 / 600)


def test_wdq_hand_worked():
    # Treatment 100 -> 50, buffer 80 -> 100, control 1000 -> 1000.
    # success = 50/1000 - 100/1000 = -0.05; buffer = 100/1000 - 80/1000 = +0.02; WDQ = 0.02 / -0.05 = -0.4
    dq = weighted_displacement_quotient(100, 50, 80, 100, 1000, 1000)
    assert (dq.success_measure, dq.buffer_measure, dq.wdq) == (pytest.approx(-0.05), pytest.approx(0.02),
                                                               pytest.approx(-0.4))
    assert dq.verdict == "displacement"
    # Buffer 80 -> 20: buffer = -0.06, WDQ = 1.2: the buffer gained more than the treatment area itself
    assert weighted_displacement_quotient(100, 50, 80, 20, 1000, 1000).verdict == "diffusion_more"
    # Buffer 80 -> 150: WDQ = 0.07 / -0.05 = -1.4: more displaced than prevented
    assert weighted_displacement_quotient(100, 50, 80, 150, 1000, 1000).wdq == pytest.approx(-1.4)
    assert weighted_displacement_quotient(100, 50, 80, 150, 1000, 1000).verdict == "displacement_more"
    # No success in the treatment area: no quotient
    assert weighted_displacement_quotient(50, 60, 80, 150, 1000, 1000).wdq is None


def test_respray_hand_worked():
    removals = [("school", date(2025, 1, 10)), ("school", date(2025, 3, 1)), ("hall", date(2025, 2, 1)),
                ("hall", date(2025, 11, 20))]          # the last one's window ends after `last`: not counted
    reports = [("school", date(2025, 2, 20)),        # 41 days after the first removal: re-sprayed
               ("school", date(2025, 7, 1)),          # 122 days after the second: too late
               ("hall", date(2025, 2, 1))]            # the removal's own day: not after it
    r = respray(removals, reports, date(2025, 1, 1), date(2025, 12, 31))
    assert (r.removals, r.resprayed, r.share) == (3, 1, pytest.approx(1 / 3))
    assert respray([], reports, date(2025, 1, 1), date(2025, 12, 31)).share is None


def test_cost_balance_hand_worked():
    # 40 removals before, control 500 -> 450 (x 0.9): 36 expected, 20 observed, 16 avoided x 300 EUR = 4800
    cb = cost_balance(40, 20, 500, 450, 300.0, 3000.0)
    assert cb.expected_removals == pytest.approx(36) and cb.avoided_cost == pytest.approx(4800)
    assert cb.net == pytest.approx(1800)


def _scenario(rng, treat=(8, 8), buffer=(6, 6), control=(120, 120), months=12, overdispersion=None):
    """Monthly Poisson (or, with `overdispersion` k, negative binomial) counts of the six area/period cells."""
    def draw(rate):
        if overdispersion is None:
            return list(rng.poisson(rate, months))
        k = overdispersion  # mean rate, variance rate + rate^2/k
        return list(rng.negative_binomial(k, k / (k + rate), months))
    return MeasureCounts(draw(treat[0]), draw(treat[1]), draw(buffer[0]), draw(buffer[1]),
                         draw(control[0]), draw(control[1]))


def test_a_halving_gives_a_res_near_2_whose_interval_excludes_1():
    rng = np.random.default_rng(17)
    results = [assess(_scenario(rng, treat=(8, 4))) for _ in range(200)]
    effects = [r.effect for r in results]
    assert all(r.sufficient for r in results)
    assert np.median([e.res for e in effects]) == pytest.approx(2.0, rel=0.1)
    assert sum(e.significant and e.low > 1 for e in effects) >= 190          # power about 99 %
    assert sum(e.low <= 2 <= e.high for e in effects) >= 180                 # the truth inside about 95 %


def test_no_effect_gives_an_interval_that_includes_1():
    rng = np.random.default_rng(18)
    effects = [assess(_scenario(rng)).effect for _ in range(200)]
    covered = sum(e.low <= 1 <= e.high for e in effects)
    assert 180 <= covered <= 200                                              # about 95 %
    assert np.median([e.res for e in effects]) == pytest.approx(1.0, rel=0.1)


def test_overdispersed_counts_need_the_correction_to_keep_the_interval_honest():
    rng = np.random.default_rng(19)
    runs = [_scenario(rng, treat=(10, 10), overdispersion=1.5) for _ in range(300)]
    corrected = [assess(s).effect for s in runs]
    plain = [relative_effect_size(*(sum(x) for x in (s.treatment_before, s.treatment_after, s.control_before,
                                                     s.control_after))) for s in runs]
    covered_corrected = sum(e.low <= 1 <= e.high for e in corrected) / len(runs)
    covered_plain = sum(e.low <= 1 <= e.high for e in plain) / len(runs)
    assert covered_plain < 0.8                 # the Poisson interval is far too narrow for bursty counts
    assert covered_corrected > 0.88            # the inflated one is close to its 95 %
    assert sum(e.overdispersed for e in corrected) > 250


def test_displacement_gives_a_negative_wdq_and_diffusion_a_positive_one():
    rng = np.random.default_rng(20)
    displaced = [assess(_scenario(rng, treat=(10, 5), buffer=(10, 15))).displacement for _ in range(50)]
    diffused = [assess(_scenario(rng, treat=(10, 5), buffer=(10, 6))).displacement for _ in range(50)]
    assert np.median([d.wdq for d in displaced if d.wdq is not None]) < -0.5
    assert sum(d.verdict.startswith("displacement") for d in displaced) >= 45
    assert np.median([d.wdq for d in diffused if d.wdq is not None]) > 0.5
    assert sum(d.verdict.startswith("diffusion") for d in diffused) >= 45


def test_too_few_incidents_to_judge():
    few = MeasureCounts([1] * 6, [1] * 6, [2] * 6, [2] * 6, [50] * 6, [50] * 6)   # 12 in the treatment area
    verdict = assess(few)
    assert not verdict.sufficient and verdict.effect is None and verdict.totals["treatment_before"] == 6
    assert assess(few, minimum=10).sufficient
    empty_after = MeasureCounts([5] * 6, [0] * 6, [2] * 6, [2] * 6, [50] * 6, [50] * 6)
    assert not assess(empty_after).sufficient
