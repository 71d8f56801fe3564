"""Aoristic weights: one unit per report, spread over the local hours of the week its window covers."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from gis.aoristic import profile, share_in, week_hour, window_weights

BERLIN = ZoneInfo("Europe/Berlin")


def _bin(weekday: int, hour: int) -> int:
    return (weekday - 1) * 24 + hour


def test_weights_sum_to_one_per_report_on_random_windows():
    rng = np.random.default_rng(7)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(200):
        start = base + timedelta(seconds=float(rng.uniform(0, 730 * 86400)))
        end = start + timedelta(seconds=float(rng.exponential(3 * 86400)))
        w = window_weights(start, end, BERLIN)
        assert w.shape == (168,) and w.min() >= 0
        assert w.sum() == pytest.approx(1.0, abs=1e-12)


def test_hand_computed_friday_night_window():
    # Friday 5 June 2026, 22:30 to Saturday 01:30 local time (CEST): 3 hours.
    start = datetime(2026, 6, 5, 22, 30, tzinfo=BERLIN)
    end = datetime(2026, 6, 6, 1, 30, tzinfo=BERLIN)
    w = window_weights(start, end, BERLIN)
    expected = {_bin(5, 22): 0.5 / 3, _bin(5, 23): 1 / 3, _bin(6, 0): 1 / 3, _bin(6, 1): 0.5 / 3}
    assert {i: pytest.approx(v) for i, v in expected.items()} == {int(i): w[i] for i in np.flatnonzero(w)}
    assert share_in(w, (6,), ()) == pytest.approx(0.5)  # Saturday
    assert share_in(w, (5, 6), (22, 23)) == pytest.approx(0.5)
    assert share_in(w, (), ()) == pytest.approx(1.0)


def test_spring_forward_night_has_no_two_oclock_hour():
    # 29 March 2026: clocks jump from 02:00 to 03:00. 01:00 to 04:00 local is two real hours.
    start = datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    w = window_weights(start, end, BERLIN)
    assert w[_bin(7, 1)] == pytest.approx(0.5) and w[_bin(7, 3)] == pytest.approx(0.5)
    assert w[_bin(7, 2)] == 0


def test_a_window_of_whole_weeks_spreads_evenly():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=BERLIN)  # a Monday
    w = window_weights(start, start + timedelta(days=14), BERLIN)
    assert np.allclose(w, 1 / 168)


def test_profile_counts_unknown_and_too_long_windows_only_by_their_report_time():
    reported = datetime(2026, 6, 8, 9, 15, tzinfo=BERLIN)  # Monday morning
    windows = [
        (datetime(2026, 6, 6, 23, 0, tzinfo=BERLIN), reported),  # from Saturday 23 h: 34.25 hours
        (None, reported),  # never known clean
        (reported - timedelta(days=30), reported),  # longer than the cap
    ]
    p = profile(windows, BERLIN, max_days=14)
    assert p.total == 3 and p.known == 1
    assert p.offence.sum() == pytest.approx(1.0)
    assert p.reported[week_hour(reported, BERLIN)] == 3 and p.reported.sum() == 3
    assert p.reported_by_weekday[0] == 3  # all reported on Monday ...
    by_day = p.offence_by_weekday  # ... but the damage appeared mostly on Sunday
    assert by_day[6] == pytest.approx(24 / 34.25) and by_day[5] == pytest.approx(1 / 34.25)
    assert by_day[0] == pytest.approx(9.25 / 34.25)
    assert p.offence_by_hour.sum() == pytest.approx(1.0)
