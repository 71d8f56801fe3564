"""Working days in Baden-Württemberg: weekends and public holidays are not working days."""
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar, anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The statutory public holidays of Baden-Württemberg in `year`."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (1, 6), (5, 1), (10, 3), (11, 1), (12, 25), (12, 26)]
    moving = [-2, 1, 39, 50, 60]  # Good Friday, Easter Monday, Ascension, Whit Monday, Corpus Christi
    return frozenset([date(year, m, d) for m, d in fixed] + [easter + timedelta(days=n) for n in moving])


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year)


@lru_cache(maxsize=1024)
def working_days_after(day: date, n: int) -> date:
    """The `n`-th working day after `day` (cached: every report of a day asks the same question)."""
    added = 0
    while added < n:
        day += timedelta(days=1)
        if is_working_day(day):
            added += 1
    return day


def local_date(at: datetime) -> date:
    """The city's calendar day of an aware datetime (23:30 UTC is already the next day in Heilbronn)."""
    return at.astimezone(LOCAL_TZ).date()


def local_today() -> date:
    """Today's date in the city (the server's clock may run on UTC)."""
    return datetime.now(LOCAL_TZ).date()


def add_working_days(start: datetime, n: int) -> datetime:
    """The same local time of day `n` working days after `start` (aware datetimes, local calendar)."""
    local = start.astimezone(LOCAL_TZ)
    day = working_days_after(local.date(), n)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=LOCAL_TZ).astimezone(start.tzinfo)
