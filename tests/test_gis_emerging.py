"""Mann-Kendall against scipy's Kendall tau; emerging hot spot patterns on hand-made histories."""
import numpy as np
import pytest
from scipy import stats

from gis.emerging import CODES, classify_patterns
from gis.trend import mann_kendall


@pytest.mark.parametrize("steps", [10, 12, 24])
def test_mann_kendall_agrees_with_kendall_tau_against_time(steps):
    rng = np.random.default_rng(steps)
    series = np.r_[rng.poisson(2.0, (300, steps)),  # many ties
                   rng.normal(0, 1, (300, steps)) + np.linspace(0, rng.uniform(-2, 2), steps)]
    series = series[series.std(axis=1) > 0]
    res = mann_kendall(series)
    time = np.arange(steps)
    for k, x in enumerate(series):
        ref = stats.kendalltau(time, x, method="asymptotic")
        n0 = steps * (steps - 1) / 2
        _, ties = np.unique(x, return_counts=True)
        n2 = (ties * (ties - 1) / 2).sum()
        # Kendall's tau-b against time (no ties in time) is S / sqrt(n0 (n0 - n2)) ...
        assert res.s[k] == pytest.approx(ref.statistic * np.sqrt(n0 * (n0 - n2)), abs=1e-9)
        # ... and scipy's asymptotic p-value is Mann-Kendall's without the continuity correction.
        p_plain = 2 * stats.norm.sf(abs(res.s[k]) / np.sqrt(res.var[k]))
        assert p_plain == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    # The continuity correction makes p larger, never smaller.
    assert np.all(res.p >= 2 * stats.norm.sf(np.abs(res.s) / np.sqrt(res.var)) - 1e-12)


def test_mann_kendall_hand_worked():
    # 1, 3, 2, 4: pairs (1,3)+ (1,2)+ (1,4)+ (3,2)- (3,4)+ (2,4)+ -> S = 4; Var = 4*3*13/18 = 8.667
    res = mann_kendall([[1, 3, 2, 4]])
    assert res.s[0] == 4 and res.var[0] == pytest.approx(8.6667, abs=1e-4)
    assert res.z[0] == pytest.approx(3 / np.sqrt(26 / 3)) and res.tau[0] == pytest.approx(4 / 6)


H, C, N = 1, -1, 0


def _history(*steps):
    return np.array(steps)


HISTORIES = {
    "new_hot": (_history(N, N, N, N, N, N, N, N, N, N, N, H), None),
    "consecutive_hot": (_history(N, N, N, N, N, N, N, N, N, H, H, H), None),
    "intensifying_hot": (_history(*[H] * 12), np.arange(12.0)),
    "persistent_hot": (_history(*[H] * 12), np.array([3, 4] * 6, dtype=float)),
    "diminishing_hot": (_history(*[H] * 12), -np.arange(12.0)),
    "sporadic_hot": (_history(N, H, N, N, H, N, N, H, N, N, N, H), None),
    "oscillating_hot": (_history(N, C, N, H, N, C, N, N, H, N, N, H), None),
    "historical_hot": (_history(*[H] * 11, N), None),
    "new_cold": (_history(*[N] * 11, C), None),
    "consecutive_cold": (_history(*[N] * 10, C, C), None),
    "intensifying_cold": (_history(*[C] * 12), -np.arange(12.0)),
    "persistent_cold": (_history(*[C] * 12), -np.array([3, 4] * 6, dtype=float)),
    "diminishing_cold": (_history(*[C] * 12), np.arange(12.0)),
    "sporadic_cold": (_history(C, N, N, C, N, N, N, N, C, N, N, C), None),
    "oscillating_cold": (_history(H, N, N, C, N, N, N, H, N, N, N, C), None),
    "historical_cold": (_history(*[C] * 11, N), None),
    "no_pattern": (_history(N, H, H, N, N, N, N, N, C, N, N, N), None),
}


def test_each_pattern_of_arcgis_emerging_hot_spot_analysis():
    codes = list(HISTORIES)
    classes = np.array([h for h, _ in HISTORIES.values()])
    rng = np.random.default_rng(0)
    z = np.array([zz if zz is not None else h * 2.5 + rng.normal(0, 0.01, 12) for h, zz in HISTORIES.values()])
    got, trend = classify_patterns(classes, z)
    assert list(got) == codes
    assert set(codes) == set(CODES)
    assert trend.p[codes.index("intensifying_hot")] < 0.05 and trend.p[codes.index("persistent_hot")] > 0.05


def test_ninety_percent_means_at_least_nine_of_ten_steps():
    classes = np.array([[H] * 9 + [N], [N] + [H] * 9, [N, N] + [H] * 8])
    z = np.tile([2.0, 2.1] * 5, (3, 1))
    got, _ = classify_patterns(classes, z)
    assert list(got) == ["historical_hot", "persistent_hot", "consecutive_hot"]
