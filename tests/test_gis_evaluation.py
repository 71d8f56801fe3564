"""PAI and RRI on hand-worked examples."""
import numpy as np
import pytest

from gis.evaluation import evaluate, pai, rri


def test_pai_hand_worked():
    # 40 of 200 incidents in hotspots covering 2 km² of a 50 km² city: (40/200) / (2/50) = 0.2 / 0.04 = 5.
    assert pai(40, 200, 2.0, 50.0) == pytest.approx(5.0)
    # Hotspots no better than chance: 10 % of the incidents on 10 % of the area.
    assert pai(10, 100, 1.0, 10.0) == pytest.approx(1.0)
    assert pai(0, 0, 1.0, 10.0) is None and pai(5, 10, 0.0, 10.0) is None


def test_rri_hand_worked():
    # Period t: 30 of 120 incidents in the hotspots; period t+1: 24 of 80.
    # RRI = (24 / 30) / (80 / 120) = 0.8 / 0.6667 = 1.2
    assert rri(30, 24, 120, 80) == pytest.approx(1.2)
    assert rri(0, 5, 10, 10) is None


def test_evaluate_on_cells():
    hot = np.array([True, True, False, False, False, False, False, False, False, False])
    counts_t = np.array([10, 6, 1, 1, 0, 1, 0, 0, 1, 0])      # 16 of 20 in the hot cells
    counts_next = np.array([4, 5, 2, 1, 1, 1, 1, 1, 1, 1])   # 9 of 18
    ev = evaluate(hot, counts_t, counts_next, cell_area=0.25)
    assert (ev.hot_cells, ev.cells, ev.n1_in, ev.n1_total, ev.n2_in, ev.n2_total) == (2, 10, 16, 20, 9, 18)
    assert ev.area_share == pytest.approx(0.2)
    assert ev.pai_t == pytest.approx((16 / 20) / 0.2)        # 4.0
    assert ev.pai_next == pytest.approx((9 / 18) / 0.2)      # 2.5
    assert ev.rri == pytest.approx((9 / 16) / (18 / 20))     # 0.625
    assert ev.hit_rate_next == pytest.approx(0.5)


def test_hit_test_is_the_exact_binomial_test_against_the_area_share():
    from math import comb

    from scipy.stats import beta

    from gis.evaluation import hit_test

    # 9 of 18 incidents in hotspots covering 20 % of the area: P(X >= 9) for X ~ binomial(18, 0.2), by hand.
    t = hit_test(9, 18, 0.2)
    by_hand = sum(comb(18, k) * 0.2**k * 0.8 ** (18 - k) for k in range(9, 19))
    assert t.p_value == pytest.approx(by_hand, rel=1e-9) and t.p_value < 0.01
    # Clopper-Pearson 95 % interval of the hit rate from the beta quantiles; the PAI's is that over 0.2.
    assert t.hit_rate_low == pytest.approx(beta.ppf(0.025, 9, 10)) and t.hit_rate_high == pytest.approx(
        beta.ppf(0.975, 10, 9))
    assert (t.pai_low, t.pai_high) == pytest.approx((t.hit_rate_low / 0.2, t.hit_rate_high / 0.2))
    assert hit_test(0, 0, 0.2) is None and hit_test(3, 10, 0.0) is None


def test_verdict_only_when_significant_and_enough_reports():
    hot = np.array([True] + [False] * 9)
    # The case: a handful of reports, one of them in a hotspot cell: a PAI of 10 but no evidence.
    few = evaluate(hot, np.array([2, 0, 0, 0, 0, 0, 0, 0, 0, 0]), np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0]))
    assert few.pai_next == pytest.approx(5.0) and few.verdict == "not_significant"
    many = evaluate(hot, np.full(10, 5) + 20 * hot, np.full(10, 5) + 20 * hot)
    assert many.test.p_value < 0.001 and many.verdict == "better"
    many.sufficient = False
    assert many.verdict == "too_few_reports"
    assert evaluate(np.zeros(10, dtype=bool), np.ones(10), np.ones(10)).verdict == "no_hotspots"
