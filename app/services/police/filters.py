"""Which reports a police analysis looks at: the filters, parsed from request arguments, and their SQL.

Rejected reports and duplicates are left out: they are not separate incidents.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import text

from app.errors import ValidationFailed
from app.extensions import db
from app.models import CATEGORIES
from app.services.core.workdays import city_timezone, local_midnight

WEEKDAYS = {"mo": 1, "di": 2, "tu": 2, "mi": 3, "we": 3, "do": 4, "th": 4, "fr": 5, "sa": 6, "so": 7, "su": 7}
METHODS = ("dbscan", "gistar", "kde", "emerging")
TIME_BASES = ("reported", "offence")  # weekday/hour filters by the time reported or the estimated time of offence
MAX_PERIOD_DAYS = 3660
DAY_S = 86400.0


@dataclass
class Filters:
    """Which reports to analyse: period [start, end), categories, weekdays (1 = Monday), hours, district."""

    start: datetime
    end: datetime
    categories: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()
    district_id: int | None = None
    district_name: str | None = None
    tag_id: int | None = None
    time_basis: str = "reported"

    @property
    def days(self) -> float:
        """Length of the period in days."""
        return (self.end - self.start).total_seconds() / DAY_S

    def shifted(self, periods: int) -> Filters:
        """The same filters for the period `periods` lengths earlier (-1) or later (+1)."""
        delta = self.end - self.start
        return replace(self, start=self.start + periods * delta, end=self.end + periods * delta)

    def echo(self) -> dict:
        """The filters as JSON-ready parameters."""
        return {"from": self.start.date().isoformat(), "to": (self.end - timedelta(days=1)).date().isoformat(),
                "category": list(self.categories), "weekday": list(self.weekdays), "hour": list(self.hours),
                "district": self.district_name, "tag": self.tag_id, "time": self.time_basis}


def _list(args, name) -> list[str]:
    values = []
    for raw in args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]:
        if raw:
            values += [v.strip() for v in str(raw).split(",") if v.strip()]
    return values


def _date(value: str, field_name: str, errors: list) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors.append((field_name, _("„%(value)s“ ist kein Datum; bitte als YYYY-MM-DD angeben.", value=value)))
        return None
    if not 1970 <= day.year <= 2200:
        errors.append((field_name, _("„%(value)s“ liegt außerhalb der Jahre 1970 bis 2200.", value=value)))
        return None
    return day


def parse_filters(args, default_days: int = 365, today: date | None = None) -> Filters:
    """Filters from query arguments (from, to, category, weekday, hour, district); ValidationFailed if bad."""
    errors: list = []
    today = today or datetime.now(city_timezone()).date()
    end_day = _date(args["to"], "to", errors) if args.get("to") else today
    start_day = _date(args["from"], "from", errors) if args.get("from") else None
    if end_day and not start_day and not args.get("from"):
        start_day = max(end_day - timedelta(days=default_days - 1), date(1970, 1, 1))
    if start_day and end_day:
        if start_day > end_day:
            errors.append(("from", _("„from“ darf nicht nach „to“ liegen.")))
        elif (end_day - start_day).days + 1 > MAX_PERIOD_DAYS:
            errors.append(("from", _("Der Zeitraum darf höchstens %(n)d Tage lang sein.", n=MAX_PERIOD_DAYS)))
    categories = _list(args, "category")
    for c in categories:
        if c not in CATEGORIES:
            errors.append(("category", _("Unbekannte Kategorie „%(value)s“. Erlaubt: %(allowed)s.", value=c,
                                         allowed=", ".join(CATEGORIES))))
    weekdays = []
    for w in _list(args, "weekday"):
        key = w.lower()[:2]
        if w.isdigit() and 1 <= int(w) <= 7:
            weekdays.append(int(w))
        elif key in WEEKDAYS and not w.isdigit():
            weekdays.append(WEEKDAYS[key])
        else:
            errors.append(("weekday", _("Unbekannter Wochentag „%(value)s“; bitte 1 (Montag) bis 7 (Sonntag).",
                                        value=w)))
    hours = []
    for h in _list(args, "hour"):
        if "-" in h and h.count("-") == 1 and all(p.isdigit() for p in h.split("-")):
            a, b = (int(p) for p in h.split("-"))
            if a <= 23 and b <= 23:
                hours += list(range(a, b + 1)) if a <= b else list(range(a, 24)) + list(range(b + 1))
                continue
        elif h.isdigit() and int(h) <= 23:
            hours.append(int(h))
            continue
        errors.append(("hour", _("Unbekannte Stunde „%(value)s“; bitte 0 bis 23 oder einen Bereich wie 20-4.",
                                 value=h)))
    district_id = district_name = None
    if args.get("district"):
        district_id, district_name = _district(str(args["district"]).strip(), errors)
    tag_id = None
    if args.get("tag"):
        if str(args["tag"]).isdigit() and int(args["tag"]) < 2**31:
            tag_id = int(args["tag"])
        else:
            errors.append(("tag", _("„tag“ muss die Nummer eines Tags sein.")))
    time_basis = str(args.get("time") or "reported")
    if time_basis not in TIME_BASES:
        errors.append(("time", _("„time“ muss reported (Zeit der Meldung) oder offence (geschätzte Tatzeit) sein.")))
    if errors:
        raise ValidationFailed(errors)
    return Filters(local_midnight(start_day), local_midnight(end_day + timedelta(days=1)),
                   tuple(dict.fromkeys(categories)), tuple(sorted(set(weekdays))), tuple(sorted(set(hours))),
                   district_id, district_name, tag_id, time_basis)


def _district(value: str, errors: list) -> tuple[int | None, str | None]:
    if value.isdigit():
        row = db.session.execute(text("SELECT id, name FROM districts WHERE id = :v"),
                                 {"v": int(value) if int(value) < 2**31 else -1}).first()
    else:
        row = db.session.execute(text("SELECT id, name FROM districts WHERE lower(name) = lower(:v)"),
                                 {"v": value}).first()
    if row is None:
        errors.append(("district", _("Unbekannter Stadtteil „%(value)s“.", value=value)))
        return None, None
    return row.id, row.name


def districts() -> list[tuple[int, str]]:
    """All districts (id, name) for filter forms."""
    return [(r.id, r.name) for r in db.session.execute(text("SELECT id, name FROM districts ORDER BY name"))]


def where_clause(f: Filters, alias: str = "r") -> tuple[str, dict]:
    """SQL condition and parameters selecting the reports of the filters."""
    a = alias
    parts = [f"{a}.created_at >= :start", f"{a}.created_at < :end", f"{a}.location_m IS NOT NULL",
             f"{a}.status NOT IN ('rejected', 'duplicate')"]
    params: dict = {"start": f.start, "end": f.end, "tz": city_timezone().key}
    if f.categories:
        parts.append(f"{a}.category = ANY(:categories)")
        params["categories"] = list(f.categories)
    if f.time_basis == "offence" and (f.weekdays or f.hours):
        from app.services.police.offence_time import matching_ids  # it selects with these filters' clause

        parts.append(f"{a}.id = ANY(:offence_ids)")
        params["offence_ids"] = matching_ids(f)
        return " AND ".join(parts + _other_parts(f, a, params)), params
    if f.weekdays:
        parts.append(f"extract(isodow FROM {a}.created_at AT TIME ZONE :tz)::int = ANY(:weekdays)")
        params["weekdays"] = list(f.weekdays)
    if f.hours:
        parts.append(f"extract(hour FROM {a}.created_at AT TIME ZONE :tz)::int = ANY(:hours)")
        params["hours"] = list(f.hours)
    return " AND ".join(parts + _other_parts(f, a, params)), params


def _other_parts(f: Filters, a: str, params: dict) -> list[str]:
    parts = []
    if f.district_id:
        parts.append(f"{a}.district_id = :district_id")
        params["district_id"] = f.district_id
    if f.tag_id:
        parts.append(f"EXISTS (SELECT 1 FROM report_tags rt WHERE rt.report_id = {a}.id AND rt.tag_id = :tag_id)")
        params["tag_id"] = f.tag_id
    return parts
