"""Working days, removal targets and the transition table."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.services.core.sla import removal_target, targets_from_config
from app.services.core.workdays import add_working_days, is_working_day
from app.services.core.workflow import TRANSITIONS

LOCAL_TZ = ZoneInfo("Europe/Berlin")  # the default city's


def test_easter_mondays_are_holidays():
    assert not is_working_day(date(2026, 4, 6)) and not is_working_day(date(2027, 3, 29))
    assert is_working_day(date(2026, 4, 7))


@pytest.mark.parametrize("day,working", [
    (date(2026, 11, 26), True),   # Thursday
    (date(2026, 11, 28), False),  # Saturday
    (date(2026, 12, 25), False),  # Christmas
    (date(2026, 6, 4), False),    # Corpus Christi 2026 (a BW holiday)
    (date(2026, 4, 3), False),    # Good Friday
    (date(2026, 1, 6), False),    # Epiphany (BW)
])
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_three_working_days_skip_the_weekend_and_holidays():
    thursday = datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL_TZ)
    assert add_working_days(thursday, 3) == datetime(2026, 12, 1, 10, 0, tzinfo=LOCAL_TZ)
    before_christmas = datetime(2026, 12, 23, 9, 0, tzinfo=LOCAL_TZ)
    # 24th (Thu), [25th, 26th holidays, weekend], 28th, 29th
    assert add_working_days(before_christmas, 3) == datetime(2026, 12, 29, 9, 0, tzinfo=LOCAL_TZ)


def test_removal_targets(app):  # the default targets are the app's configuration
    created = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday
    offensive = removal_target(created, True, "private")
    assert (offensive.priority, offensive.crew_job) == (1, True)
    assert offensive.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    municipal = removal_target(created, False, "municipal")
    assert municipal.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    private = removal_target(created, False, "private")
    assert (private.crew_job, private.rule) == (False, "notify_owner")
    assert private.due_at == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    one_day = {**targets_from_config(app.config), "other_workdays": 1}
    assert removal_target(created, False, None, one_day).due_at.day == 27


def test_transition_table_is_closed_over_known_statuses():
    from app.models import STATUSES

    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())
    assert TRANSITIONS["closed"] == set()
