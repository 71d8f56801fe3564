"""The city's calendar: its time zone, its calendar days, and working days (Monday to Friday except the
public holidays of its country or subdivision). Both come from configuration (CITY_TIMEZONE, CITY_HOLIDAYS)."""
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import has_app_context

from app.city import current_city
from gis.city import DEFAULT_HOLIDAYS, DEFAULT_TIMEZONE
from gis.holidays import public_holidays


def city_timezone() -> ZoneInfo:
    """The city's time zone (outside an app: the default city's)."""
    return ZoneInfo(current_city().timezone if has_app_context() else DEFAULT_TIMEZONE)


def holiday_region() -> str:
    """The region (DE-BW, US-NY ...) whose public holidays are not working days (outside an app: the default
    city's)."""
    return current_city().holidays if has_app_context() else DEFAULT_HOLIDAYS


def is_working_day(day: date, region: str | None = None) -> bool:
    """Monday to Friday and not a public holiday (of the city's region unless `region` is given)."""
    return day.weekday() < 5 and day not in public_holidays(day.year, region or holiday_region())


@lru_cache(maxsize=1024)
def _working_days_after(day: date, n: int, region: str) -> date:
    added = 0
    while added < n:
        day += timedelta(days=1)
        if is_working_day(day, region):
            added += 1
    return day


def working_days_after(day: date, n: int, region: str | None = None) -> date:
    """The `n`-th working day after `day` (cached: every report of a day asks the same question)."""
    return _working_days_after(day, n, region or holiday_region())


def local_date(at: datetime) -> date:
    """The city's calendar day of an aware datetime (23:30 UTC is already the next day in Heilbronn)."""
    return at.astimezone(city_timezone()).date()


def local_today() -> date:
    """Today's date in the city (the server's clock may run on UTC)."""
    return datetime.now(city_timezone()).date()


def local_midnight(day: date) -> datetime:
    """The start of a calendar day in the city, as an aware datetime."""
    return datetime.combine(day, datetime.min.time(), tzinfo=city_timezone())


def add_working_days(start: datetime, n: int) -> datetime:
    """The same local time of day `n` working days after `start` (aware datetimes, the city's calendar)."""
    tz = city_timezone()
    local = start.astimezone(tz)
    day = working_days_after(local.date(), n)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(start.tzinfo)
