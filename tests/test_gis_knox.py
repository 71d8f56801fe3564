"""Knox test: planted near-repeats are detected, shuffled dates show none."""
import numpy as np
import pytest

from gis.knox import TooManyPairs, _band, knox_test


def planted(seed=0):
    """300 background incidents over a year, each with a 50 % chance of a repeat within 60 m and 5 days."""
    rng = np.random.default_rng(seed)
    x, y, t = rng.uniform(0, 4000, 300), rng.uniform(0, 4000, 300), rng.uniform(0, 365, 300)
    rep = rng.random(300) < 0.5
    ang = rng.uniform(0, 2 * np.pi, rep.sum())
    dist = rng.uniform(0, 60, rep.sum())
    x2 = x[rep] + dist * np.cos(ang)
    y2 = y[rep] + dist * np.sin(ang)
    t2 = t[rep] + rng.uniform(0, 5, rep.sum())
    return np.r_[x, x2], np.r_[y, y2], np.r_[t, t2]


def test_bands_are_closed_on_the_right():
    edges = np.array([0.0, 100.0, 200.0])
    assert _band(np.array([0.0, 50, 100, 100.5, 200, 201]), edges).tolist() == [0, 0, 0, 1, 1, -1]


def test_planted_near_repeats_are_detected():
    x, y, t = planted()
    res = knox_test(x, y, t, distance_edges=(0, 100, 200, 400), day_edges=(0, 7, 14, 30), permutations=99)
    assert res.observed[0, 0] > 100
    assert res.ratio[0, 0] > 5
    assert res.p_values[0, 0] == pytest.approx(0.01)
    assert res.significant()[0, 0]
    # Far and late pairs carry no excess.
    assert not res.significant()[2, 2]


def test_shuffled_dates_show_no_near_repeat():
    x, y, t = planted()
    t = np.random.default_rng(5).permutation(t)
    res = knox_test(x, y, t, distance_edges=(0, 100, 200, 400), day_edges=(0, 7, 14, 30), permutations=99)
    assert 0.5 < res.ratio[0, 0] < 1.6
    assert not res.significant()[0, 0]


def test_bad_bands_and_too_many_pairs(monkeypatch):
    with pytest.raises(ValueError):
        knox_test([0, 1], [0, 1], [0, 1], distance_edges=(100, 50))
    import gis.knox

    monkeypatch.setattr(gis.knox, "MAX_PAIRS", 10)
    x, y, t = planted()
    with pytest.raises(TooManyPairs):
        knox_test(x, y, t)


def test_raised_band_smallest_p_and_the_fast_table_equal_the_general_one():
    x, y, t = planted()
    res = knox_test(x, y, t, distance_edges=(0, 100, 200, 400), day_edges=(0, 7, 14, 30), permutations=199)
    d0, d1, t0, t1, ratio = res.raised_band()
    assert (d0, d1, t0, t1) == (0, 100, 0, 7) and ratio == pytest.approx(res.ratio[0, 0])
    assert res.smallest_p == pytest.approx(1 / 200) and res.p_values[0, 0] == pytest.approx(1 / 200)
    # Only cells with a ratio of at least 1.2 and p <= 0.05 are raised.
    assert np.array_equal(res.significant(), (res.p_values <= 0.05) & (res.ratio >= 1.2))
    # A first time band that starts above 0 takes the general path: the same counts where both apply.
    shifted = knox_test(x, y, t, distance_edges=(0, 100, 200, 400), day_edges=(1e-9, 7, 14, 30), permutations=19)
    plain = knox_test(x, y, t, distance_edges=(0, 100, 200, 400), day_edges=(0, 7, 14, 30), permutations=19)
    assert np.array_equal(shifted.observed[:, 1:], plain.observed[:, 1:])
    assert np.all(shifted.observed[:, 0] <= plain.observed[:, 0])


def test_permutations_shrink_to_the_budget_but_not_below_99():
    x, y, t = planted()
    full = knox_test(x, y, t, permutations=999)
    cut = knox_test(x, y, t, permutations=999, max_work=full.pairs * 300)
    assert (cut.permutations, cut.permutations_requested) == (300, 999)
    assert knox_test(x, y, t, permutations=999, max_work=10).permutations == 99
    assert full.permutations == 999 and full.raised_band() is not None

