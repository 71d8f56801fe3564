"""Monthly figures for the steering committee, per district: reports, removals, speed, re-tagging, cost."""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import text

from app.errors import ValidationFailed
from app.extensions import db
from app.services.core.workdays import city_timezone, local_midnight, local_today

RETAG_DAYS = 90


@dataclass(frozen=True)
class StatsQuery:
    """Months [start, end) and an optional district."""

    start: date
    end: date
    district_id: int | None = None


@dataclass
class MonthRow:
    """The figures of one month (and district)."""

    month: date
    district: str | None
    received: int
    removals: int
    median_days: float | None
    p90_days: float | None
    within_target_pct: float | None
    retag_pct: float | None
    cost_eur: float
    area_m2: float


def _month(value: str, field: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date().replace(day=1)
    except ValueError:
        raise ValidationFailed([(field, _("„%(value)s“ ist kein Monat (YYYY-MM).", value=value))]) from None


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def parse_query(args, today: date | None = None) -> StatsQuery:
    """From/to months (YYYY-MM, inclusive; default the last 12 months) and a district id."""
    today = today or local_today()
    last = _month(args["to"], "to") if args.get("to") else today.replace(day=1)
    first = _month(args["from"], "from") if args.get("from") else _add_months(last, -11)
    if first > last:
        raise ValidationFailed([("from", _("Der erste Monat liegt nach dem letzten."))])
    if (last.year - first.year) * 12 + last.month - first.month > 120:
        raise ValidationFailed([("from", _("Bitte höchstens zehn Jahre auf einmal abfragen."))])
    district = args.get("district") or None
    if district is not None and not str(district).isdigit():
        raise ValidationFailed([("district", _("„%(value)s“ ist keine Stadtteil-Nummer.", value=district))])
    return StatsQuery(first, _add_months(last, 1), int(district) if district else None)


_SQL = """
WITH received AS (
  SELECT date_trunc('month', r.created_at AT TIME ZONE :tz)::date AS month, {key_r} AS key, count(*) AS n
  FROM reports r
  WHERE r.created_at >= :start AND r.created_at < :end {district_r}
  GROUP BY 1, 2
), removed AS (
  SELECT date_trunc('month', r.removed_at AT TIME ZONE :tz)::date AS month, {key_r} AS key, count(*) AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.removed_at - r.created_at) / 86400) AS med,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM r.removed_at - r.created_at) / 86400) AS p90,
         avg(CASE WHEN r.removed_at <= r.due_at THEN 100.0 ELSE 0.0 END) FILTER (WHERE r.due_at IS NOT NULL) AS on_time,
         avg(CASE WHEN EXISTS (
               SELECT 1 FROM reports n WHERE n.building_id = r.building_id AND n.id <> r.id
               AND n.created_at > r.removed_at AND n.created_at <= r.removed_at + make_interval(days => :retag))
             THEN 100.0 ELSE 0.0 END) FILTER (WHERE r.building_id IS NOT NULL) AS retag,
         coalesce(sum(x.cost), 0) AS cost, coalesce(sum(x.area), 0) AS area
  FROM reports r
  LEFT JOIN (SELECT report_id, sum(cost_eur) AS cost, sum(area_m2) AS area FROM removals GROUP BY report_id) x
         ON x.report_id = r.id
  WHERE r.removed_at >= :start AND r.removed_at < :end {district_r}
  GROUP BY 1, 2
)
SELECT coalesce(a.month, b.month) AS month, coalesce(a.key, b.key) AS key, coalesce(a.n, 0), coalesce(b.n, 0),
       b.med, b.p90, b.on_time, b.retag, coalesce(b.cost, 0), coalesce(b.area, 0)
FROM received a FULL OUTER JOIN removed b ON a.month = b.month AND a.key = b.key
ORDER BY 1, 2
"""


def monthly(query: StatsQuery, by_district: bool = True) -> list[MonthRow]:
    """The figures per month (and district, unless `by_district` is false); months without data are left out."""
    key = "coalesce(r.district_id, 0)" if by_district else "0"
    district = "AND r.district_id = :district" if query.district_id else ""
    sql = text(_SQL.format(key_r=key, district_r=district))
    start, end = local_midnight(query.start), local_midnight(query.end)
    params = {"tz": city_timezone().key, "start": start, "end": end, "retag": RETAG_DAYS, "district": query.district_id}
    names = dict(db.session.execute(text("SELECT id, name FROM districts")).all())
    rows = []
    for month, k, received, removed, med, p90, on_time, retag, cost, area in db.session.execute(sql, params):
        district_name = (names.get(k) or "–") if by_district else None
        rows.append(MonthRow(month, district_name, int(received), int(removed), _f(med), _f(p90), _f(on_time),
                             _f(retag), float(cost), float(area)))
    return rows


def _f(value):
    return None if value is None else round(float(value), 2)


def csv_columns():
    """The columns of the statistics export: code, label (in the reader's language) and kind."""
    return [("month", _("Monat"), "month"), ("district", _("Stadtteil"), "text"),
            ("received", _("Eingegangen"), "int"), ("removals", _("Entfernungen"), "int"),
            ("median_days", _("Median Tage bis Entfernung"), "dec2"), ("p90_days", _("90. Perzentil Tage"), "dec2"),
            ("within_target_pct", _("Im Ziel entfernt (%)"), "dec1"),
            ("retag_pct", _("Erneut besprüht (%)"), "dec1"), ("cost_eur", _("Kosten (EUR)"), "dec2"),
            ("area_m2", _("Fläche (m²)"), "dec2")]


def to_csv(rows: list[MonthRow], fmt: str = "csv") -> tuple[bytes, str]:
    """The rows as CSV with a header line: for spreadsheets ("excel") or machine-readable ("csv")."""
    from app.services.staff.exports import table_csv

    return table_csv(csv_columns(), [[r.month, r.district, r.received, r.removals, r.median_days, r.p90_days,
                                      r.within_target_pct, r.retag_pct, r.cost_eur, r.area_m2] for r in rows], fmt)


TARGET_WITHIN_PCT = 90  # the steering committee's aim: nine in ten removals within their target (a line in the chart)


def previous_year(query: StatsQuery) -> StatsQuery:
    """The same months a year earlier."""
    return StatsQuery(_add_months(query.start, -12), _add_months(query.end, -12), query.district_id)


def by_month(rows: list[MonthRow]) -> dict[tuple[int, int], MonthRow]:
    """Rows by (month number, year), for putting last year's month beside this year's."""
    return {(r.month.month, r.month.year): r for r in rows}


@dataclass
class DistrictRow:
    """The figures of one district over the whole period."""

    district: str
    received: int
    removals: int
    within_target_pct: float | None
    retag_pct: float | None
    cost_eur: float
    area_m2: float


def district_summary(rows: list[MonthRow]) -> list[DistrictRow]:
    """One row per district for the whole period (shares weighted by the month's removals), most reports first."""
    acc: dict[str, list] = {}
    for r in rows:
        a = acc.setdefault(r.district or "–", [0, 0, 0.0, 0, 0.0, 0, 0.0, 0.0])
        a[0] += r.received
        a[1] += r.removals
        if r.within_target_pct is not None:
            a[2] += r.within_target_pct * r.removals
            a[3] += r.removals
        if r.retag_pct is not None:
            a[4] += r.retag_pct * r.removals
            a[5] += r.removals
        a[6] += r.cost_eur
        a[7] += r.area_m2
    result = [DistrictRow(name, a[0], a[1], round(a[2] / a[3], 1) if a[3] else None,
                          round(a[4] / a[5], 1) if a[5] else None, round(a[6], 2), round(a[7], 2))
              for name, a in acc.items()]
    return sorted(result, key=lambda d: (-d.received, d.district))
