"""The city's calendar is configuration: time zone (CITY_TIMEZONE) and public holidays (CITY_HOLIDAYS) of any
country and subdivision (the holidays package); the German state codes of the hand-written rules it replaced
give the same days."""
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, from_env
from app.services.core.sla import removal_target
from app.services.core.workdays import add_working_days, is_working_day, local_date, local_today
from gis.city import CityConfigError
from gis.holidays import GERMAN_STATES, check_region, public_holidays

STATES = (*GERMAN_STATES, "DE")


@pytest.mark.parametrize("state,day,holiday", [
    ("BW", date(2026, 6, 4), True),     # Corpus Christi
    ("NI", date(2026, 6, 4), False),
    ("NW", date(2026, 6, 4), True),
    ("BW", date(2026, 1, 6), True),     # Epiphany
    ("HE", date(2026, 1, 6), False),
    ("NI", date(2025, 10, 31), True),   # Reformation Day, in Lower Saxony since 2018
    ("NI", date(2016, 10, 31), False),
    ("SN", date(2016, 10, 31), True),
    ("BW", date(2025, 10, 31), False),
    ("SN", date(2026, 11, 18), True),   # Day of Repentance and Prayer (Wednesday before 23 November)
    ("SN", date(2025, 11, 19), True),
    ("SN", date(2022, 11, 16), True),   # 23 November 2022 was itself a Wednesday
    ("BW", date(2026, 11, 18), False),
    ("BE", date(2019, 3, 8), True),     # International Women's Day, Berlin since 2019
    ("BE", date(2018, 3, 8), False),
    ("MV", date(2023, 3, 8), True),
    ("MV", date(2022, 3, 8), False),
    ("TH", date(2026, 9, 20), True),    # World Children's Day
    ("SL", date(2026, 8, 15), True),    # Assumption
    ("BY", date(2026, 8, 15), False),   # only in Catholic municipalities: left out
    ("DE", date(2026, 5, 14), True),    # Ascension
    ("DE", date(2026, 5, 25), True),    # Whit Monday
    ("DE", date(2026, 11, 1), False),
])
def test_public_holidays_per_state(state, day, holiday):
    assert (day in public_holidays(day.year, state)) is holiday


def test_holiday_counts_per_state():
    counts = {s: len(public_holidays(2026, s)) for s in STATES}
    assert counts["DE"] == 9
    assert counts["BW"] == counts["BY"] == counts["SL"] == 12
    assert counts["SN"] == counts["TH"] == 11
    assert counts["HE"] == 10
    assert all(public_holidays(2026, "DE") <= public_holidays(2026, s) for s in STATES)


def test_day_of_repentance_is_always_the_wednesday_before_23_november():
    for year in range(1995, 2101):
        (day,) = public_holidays(year, "SN") - public_holidays(year, "DE") - {date(year, 10, 31)}
        assert day.weekday() == 2 and date(year, 11, 16) <= day <= date(year, 11, 22)


@pytest.mark.parametrize("region,canonical", [
    (" bw ", "DE-BW"), ("DE-BW", "DE-BW"), ("de-by", "DE-BY"), ("DE", "DE"), ("us-ny", "US-NY"), ("US", "US"),
    ("AT-9", "AT-9"), ("AT-Wien", "AT-9"),
])
def test_regions_are_written_one_way(region, canonical):
    assert check_region(region) == canonical


@pytest.mark.parametrize("region,message", [
    ("XX", "unknown country 'XX'.*DE-BW, US-NY, AT-9"),
    ("US-XX", "unknown subdivision 'XX' of US; use one of AK, AL, .*NY.*WY"),
    ("AT-10", "unknown subdivision '10' of AT; use one of 1, 2, 3, 4, 5, 6, 7, 8, 9"),
])
def test_unknown_regions_say_what_is_allowed(region, message):
    with pytest.raises(ValueError, match=message):
        check_region(region)


def test_a_us_city_gets_us_working_days(app):
    ny = _city_app(app, CITY_HOLIDAYS="US-NY", CITY_TIMEZONE="America/New_York")
    with ny.app_context():
        assert ny.extensions["city"].holidays == "US-NY"
        assert not is_working_day(date(2026, 7, 3))       # Independence Day (Saturday) observed on Friday
        assert not is_working_day(date(2026, 11, 26))     # Thanksgiving
        assert not is_working_day(date(2026, 6, 19))      # Juneteenth
        assert not is_working_day(date(2026, 2, 12))      # Lincoln's Birthday, a New York holiday
        assert is_working_day(date(2026, 6, 4))           # Corpus Christi is not one there
        assert is_working_day(date(2025, 10, 3))          # nor German Unity Day (a Friday)
        # Wednesday 25 November 2026, 9:00 in New York: Thanksgiving, then Friday, then Monday.
        start = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
        assert add_working_days(start, 2) == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    with app.app_context():  # Heilbronn's calendar: Thanksgiving is a working day
        assert is_working_day(date(2026, 11, 26))


def test_an_austrian_city_by_subdivision(app):
    vienna = _city_app(app, CITY_HOLIDAYS="AT-9", CITY_TIMEZONE="Europe/Vienna")
    with vienna.app_context():
        assert not is_working_day(date(2026, 12, 8))      # Immaculate Conception
        assert not is_working_day(date(2026, 10, 26))     # National Day
        assert is_working_day(date(2026, 10, 5))


def test_an_unknown_region_in_the_environment_is_a_one_line_configuration_error():
    with pytest.raises(ConfigError, match=r"^CITY_HOLIDAYS='US-XX' cannot be used; unknown subdivision 'XX' of US; "
                                          r"use one of AK, .*WY$"):
        from_env({"CITY_HOLIDAYS": "US-XX", "SECRET_KEY": "x"})


def test_flask_commands_stop_with_one_line_for_an_unknown_region(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "FLASK_APP": "wsgi:app", "CITY_HOLIDAYS": "US", "CITY_TIMEZONE": "Mars/Base",
           "SECRET_KEY": "x"}
    done = subprocess.run([sys.executable, "-m", "flask", "sync-city"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "configuration error: CITY_TIMEZONE='Mars/Base' cannot be used; use an IANA time zone name such as "
        "Europe/Berlin"]
    env["CITY_TIMEZONE"], env["CITY_HOLIDAYS"] = "America/New_York", "US-XX"
    done = subprocess.run([sys.executable, "-m", "flask", "sync-city"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("configuration error: CITY_HOLIDAYS='US-XX' cannot be used; unknown subdivision")


def _city_app(app, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True, **config})


def test_default_city_counts_baden_wuerttemberg_days_in_berlin_time(app):
    with app.app_context():
        assert not is_working_day(date(2026, 6, 4))
        assert local_date(datetime(2026, 11, 26, 23, 30, tzinfo=UTC)) == date(2026, 11, 27)


def test_another_state_and_time_zone_by_configuration(app):
    other = _city_app(app, CITY_HOLIDAYS="ni", CITY_TIMEZONE="America/New_York")
    with other.app_context():
        assert other.extensions["city"].holidays == "DE-NI"
        assert is_working_day(date(2026, 6, 4))           # no Corpus Christi in Lower Saxony
        assert not is_working_day(date(2025, 10, 31))     # but Reformation Day
        assert local_date(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)) == date(2026, 11, 26)
        now_ny = datetime.now(UTC) - timedelta(hours=5)   # New York is 4 or 5 hours behind UTC
        assert local_today() in (now_ny.date(), (now_ny + timedelta(hours=1)).date())
        # Wednesday 3 June 2026, 10:00 in New York: three working days later is Monday 8 June there.
        start = datetime(2026, 6, 3, 14, 0, tzinfo=UTC)
        assert add_working_days(start, 3) == datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
        assert removal_target(start, False, "municipal").due_at == datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
    with app.app_context():  # the default city: Corpus Christi is a holiday, so one day later
        assert add_working_days(datetime(2026, 6, 3, 8, 0, tzinfo=UTC), 3) == datetime(2026, 6, 9, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("setting,value,message", [
    ("CITY_TIMEZONE", "Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
    ("CITY_TIMEZONE", "", "unknown time zone ''"),
    ("CITY_HOLIDAYS", "Bavaria", "unknown country 'BAVARIA'"),
    ("CITY_HOLIDAYS", "DE-XX", "unknown subdivision 'XX' of DE; use one of .*BW"),
])
def test_unusable_calendar_settings_stop_the_app_with_a_clear_error(app, setting, value, message):
    with pytest.raises(CityConfigError, match=message):
        _city_app(app, **{setting: value})
