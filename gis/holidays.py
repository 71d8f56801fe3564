"""Statutory public holidays of the German states (Länder), for working-day deadlines.

A city names its state by the usual two-letter code (BW for Baden-Württemberg, the default); `DE` stands for
the nine holidays common to all states. Holidays that only some municipalities of a state keep (Corpus
Christi in parts of Saxony and Thuringia, Assumption in Catholic parts of Bavaria, Augsburg's Peace Festival)
are left out: a city there adds nothing but a wrong deadline by guessing.
"""
from datetime import date, timedelta
from functools import lru_cache

STATES = {
    "DE": "Deutschland (bundesweite Feiertage)",
    "BB": "Brandenburg", "BE": "Berlin", "BW": "Baden-Württemberg", "BY": "Bayern", "HB": "Bremen",
    "HE": "Hessen", "HH": "Hamburg", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SH": "Schleswig-Holstein", "SL": "Saarland",
    "SN": "Sachsen", "ST": "Sachsen-Anhalt", "TH": "Thüringen",
}
# Days after Easter Sunday: Good Friday, Easter Monday, Ascension, Whit Monday (everywhere); Corpus Christi.
_EASTER_EVERYWHERE = (-2, 1, 39, 50)
_CORPUS_CHRISTI = 60
_FIXED_EVERYWHERE = ((1, 1), (5, 1), (10, 3), (12, 25), (12, 26))
# (month, day, states, first year) of the fixed holidays only some states keep.
_FIXED_SOME = (
    (1, 6, {"BW", "BY", "ST"}, 0),           # Epiphany
    (3, 8, {"BE"}, 2019),                    # International Women's Day
    (3, 8, {"MV"}, 2023),
    (8, 15, {"SL"}, 0),                      # Assumption
    (9, 20, {"TH"}, 2019),                   # World Children's Day
    (10, 31, {"BB", "MV", "SN", "ST", "TH"}, 0),  # Reformation Day
    (10, 31, {"HB", "HH", "NI", "SH"}, 2018),
    (11, 1, {"BW", "BY", "NW", "RP", "SL"}, 0),  # All Saints
)
_CORPUS_CHRISTI_STATES = {"BW", "BY", "HE", "NW", "RP", "SL"}


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


def check_state(state: str) -> str:
    """The state code in upper case; ValueError naming the known codes if it is not one."""
    code = (state or "").strip().upper()
    if code not in STATES:
        raise ValueError(f"unknown holiday region '{state}'; use one of {', '.join(sorted(STATES))}")
    return code


@lru_cache(maxsize=256)
def public_holidays(year: int, state: str = "BW") -> frozenset[date]:
    """The statutory public holidays of `state` (a code of STATES) in `year`."""
    state = check_state(state)
    easter = easter_sunday(year)
    days = [date(year, m, d) for m, d in _FIXED_EVERYWHERE]
    days += [easter + timedelta(days=n) for n in _EASTER_EVERYWHERE]
    if state in _CORPUS_CHRISTI_STATES:
        days.append(easter + timedelta(days=_CORPUS_CHRISTI))
    days += [date(year, m, d) for m, d, states, since in _FIXED_SOME if state in states and year >= since]
    if state == "SN":  # Day of Repentance and Prayer: the Wednesday before 23 November
        nov23 = date(year, 11, 23)
        days.append(nov23 - timedelta(days=(nov23.weekday() - 2) % 7 or 7))
    return frozenset(days)
