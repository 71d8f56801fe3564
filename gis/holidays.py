"""Public holidays of any country and subdivision, from the `holidays` package (python-holidays).

A region is an ISO 3166 country code with an optional subdivision: `DE-BW` (Baden-Württemberg), `US-NY`,
`AT-9` (Vienna), or a country alone (`DE`: the holidays common to the whole country). The German state
codes alone (`BW`, `NI` ...) are still accepted and mean `DE-BW` and so on. Only public holidays count
(the package's default category): days that only some municipalities keep (Assumption in Catholic parts of
Bavaria) are left out, as are observances that are not days off.
"""
from datetime import date
from functools import lru_cache

import holidays

GERMAN_STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH")
EXAMPLES = "e.g. DE-BW, US-NY, AT-9 or a country alone such as DE"


def _subdivisions(country: str) -> dict[str, str]:
    """Upper-cased subdivision codes and aliases of a country -> the package's code."""
    cls = type(holidays.country_holidays(country))
    codes = {c.upper(): c for c in cls.subdivisions}
    codes.update({a.upper(): c for a, c in getattr(cls, "subdivisions_aliases", {}).items()})
    return codes


def check_region(region: str) -> str:
    """The region in its canonical spelling (`DE-BW`, `US-NY`, `DE`); ValueError saying what is allowed."""
    text = (region or "").strip()
    if text.upper() in GERMAN_STATES:
        return f"DE-{text.upper()}"
    country, _, sub = text.partition("-")
    country = country.upper()
    if country not in holidays.list_supported_countries():
        raise ValueError(f"unknown country '{country or region}'; use an ISO country code known to the holidays "
                         f"package with an optional subdivision ({EXAMPLES})")
    if not sub:
        return country
    codes = _subdivisions(country)
    if sub.upper() not in codes:
        known = ", ".join(sorted(set(codes.values()), key=str))
        raise ValueError(f"unknown subdivision '{sub}' of {country}; use one of {known}")
    return f"{country}-{codes[sub.upper()]}"


def country_of(region: str) -> str:
    """The country code of a region ('US-NY' -> 'US')."""
    return check_region(region).split("-", 1)[0]


@lru_cache(maxsize=256)
def public_holidays(year: int, region: str = "DE-BW") -> frozenset[date]:
    """The public holidays of `region` in `year` (observed days included, e.g. a Friday for a Saturday)."""
    country, _, sub = check_region(region).partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=sub or None, years=year))
