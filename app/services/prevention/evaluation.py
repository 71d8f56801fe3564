"""A measure's evaluation: reports counted by report time in the treatment area, the buffer ring and the control
area, before and after the start, and the statistics of gis/prevention.py on them.

Reports count by their report time (`created_at`, the city's calendar day), not an aoristic spread over when
the graffiti may have been sprayed: a report is the incident's first trace, and the delay is the same before
and after a measure. Rejected reports and duplicates do not count. The treatment area is the measure's area
(drawn, and its buildings' footprints) plus every report snapped to one of its buildings; the buffer the ring
of `buffer_m` metres around it; the control area the drawn one or, by default, the rest of the city.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from app.extensions import db
from app.models import Measure
from app.services.core.workdays import city_timezone, local_midnight, local_today
from gis import prevention as stats

ZONES = {"t": "treatment", "b": "buffer", "c": "control"}

_ZONED = """
WITH z AS (
  SELECT ST_Transform(m.area, city_srid()) AS t, m.buffer_m AS buf,
         ST_Transform(m.control_area, city_srid()) AS ctl
  FROM measures m WHERE m.id = :id
), zoned AS (
  SELECT r.id, r.created_at, r.building_id, r.location_m,
         CASE WHEN r.building_id IN (SELECT building_id FROM measure_buildings WHERE measure_id = :id)
                   OR ST_Intersects(r.location_m, z.t) THEN 't'
              WHEN ST_DWithin(r.location_m, z.t, z.buf) THEN 'b'
              WHEN z.ctl IS NULL OR ST_Intersects(r.location_m, z.ctl) THEN 'c' END AS zone
  FROM reports r, z
  WHERE r.created_at >= :first AND r.created_at < :last AND r.status NOT IN ('rejected', 'duplicate')
)
"""
_COUNTS = _ZONED + """
SELECT zone, (created_at AT TIME ZONE :tz)::date AS day, count(*) FROM zoned WHERE zone IS NOT NULL GROUP BY 1, 2
"""
# A place for re-spraying: the building, else a 20 m cell.
_PLACE = "coalesce('b' || zoned.building_id, 'g' || floor(ST_X(zoned.location_m) / 20) || ':' || " \
         "floor(ST_Y(zoned.location_m) / 20))"
_TREATED = _ZONED + f"""
SELECT {_PLACE}, (zoned.created_at AT TIME ZONE :tz)::date, x.removed_on, x.cost_eur
FROM zoned LEFT JOIN removals x ON x.report_id = zoned.id
WHERE zoned.zone = 't'
"""
_MEAN_COST = """
SELECT avg(x.cost_eur) FROM removals x WHERE x.removed_on >= :first_day AND x.removed_on < :last_day
"""


def add_months(day: date, n: int) -> date:
    """The same day `n` months later (earlier for negative `n`), at most the month's last day."""
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    from calendar import monthrange

    return date(year, month, min(day.day, monthrange(year, month)[1]))


def months_between(first: date, later: date) -> int:
    """Whole months from `first` to `later` (0 in the first month after `first`)."""
    n = (later.year - first.year) * 12 + later.month - first.month
    return n - 1 if later.day < first.day else n


@dataclass
class Periods:
    """Before: [before_start, start); after: [after_start, after_end); each `months` long."""

    before_start: date
    start: date
    after_start: date
    after_end: date
    months: int
    complete: bool  # the full planned length (else shortened to the months elapsed so far)


def periods_of(measure: Measure, today: date | None = None) -> Periods | None:
    """Equal periods around the start, with the gap; shortened while the after period runs; None when not one
    whole month has passed since the after period began."""
    today = today or local_today()
    after_start = add_months(measure.start_on, measure.gap_months)
    months = measure.months
    if add_months(after_start, months) > today:
        months = months_between(after_start, today)
    if months < 1:
        return None
    return Periods(add_months(measure.start_on, -months), measure.start_on, after_start,
                   add_months(after_start, months), months, months == measure.months)


@dataclass
class MeasureEvaluation:
    """Everything the evaluation page and the yearly report show for one measure."""

    measure: Measure
    periods: Periods | None
    assessment: stats.Assessment | None = None
    respray_before: stats.Respray | None = None
    respray_after: stats.Respray | None = None
    cost: stats.CostBalance | None = None

    @property
    def judged(self) -> bool:
        """Whether there are figures (else: too early, or too few incidents to judge)."""
        return self.assessment is not None and self.assessment.sufficient

    @property
    def respray_relevant(self) -> bool:
        """Re-spraying is a figure of coatings and fast removal."""
        return self.measure.kind in ("coating", "fast_removal")


def _monthly(rows, zone: str, first: date, months: int) -> list:
    counts = [0] * months
    for z, day, n in rows:
        if z == zone and first <= day:
            i = months_between(first, day)
            if i < months:
                counts[i] += n
    return counts


def evaluate(measure: Measure, today: date | None = None, minimum: int = stats.MIN_TREATMENT_INCIDENTS
             ) -> MeasureEvaluation:
    """The evaluation of `measure` on the reports in the database."""
    p = periods_of(measure, today)
    if p is None:
        return MeasureEvaluation(measure, None)
    params = {"id": measure.id, "tz": city_timezone().key, "first": local_midnight(p.before_start),
              "last": local_midnight(p.after_end)}
    rows = db.session.execute(text(_COUNTS), params).all()
    counts = stats.MeasureCounts(*(_monthly(rows, zone, first, p.months)
                                   for zone in ("t", "b", "c") for first in (p.before_start, p.after_start)))
    assessment = stats.assess(counts, minimum)
    treated = db.session.execute(text(_TREATED), params).all()
    reports = [(place, day) for place, day, _r, _c in treated]
    removals = [(place, removed) for place, _d, removed, _c in treated if removed is not None]
    before = stats.respray(removals, reports, p.before_start, p.start)
    after = stats.respray(removals, reports, p.after_start, p.after_end)
    removed_before = sum(p.before_start <= day < p.start for _p, day in removals)
    removed_after = sum(p.after_start <= day < p.after_end for _p, day in removals)
    costs = [float(c) for _p, _d, removed, c in treated if removed is not None and c is not None]
    mean_cost = sum(costs) / len(costs) if costs else float(db.session.scalar(text(_MEAN_COST), {
        "first_day": p.before_start, "last_day": p.after_end}) or 0)
    t = assessment.totals
    cost = stats.cost_balance(removed_before, removed_after, t["control_before"], t["control_after"], mean_cost,
                              float(measure.cost_eur or 0))
    return MeasureEvaluation(measure, p, assessment, before, after, cost)
