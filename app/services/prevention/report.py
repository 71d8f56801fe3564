"""The yearly report of the municipal crime prevention on graffiti, as a PDF for the steering committee.

One Jinja template (prevention/report.html) in the reader's language, rendered to PDF by WeasyPrint (HTML and
CSS, the same gettext texts as the pages), with images from matplotlib (months, districts) and the police's
Gi* map. Sprayer tags appear as counts only; nothing here names or contacts a reporter.
"""
import base64
import logging
from contextlib import nullcontext
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from shapely import wkb
from sqlalchemy import or_, select, text

from app import labels
from app.extensions import db
from app.models import Measure
from app.services.core.workdays import city_timezone, local_midnight, local_today
from app.services.prevention import evaluation
from app.services.staff import statistics
from gis import report_charts

log = logging.getLogger(__name__)
FIRST_YEAR = 2000

_SPEED = """
SELECT r.priority, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.removed_at - r.created_at) / 86400),
       avg(CASE WHEN r.removed_at <= r.due_at THEN 100.0 ELSE 0.0 END) FILTER (WHERE r.due_at IS NOT NULL)
FROM reports r WHERE r.removed_at >= :start AND r.removed_at < :end
GROUP BY 1 ORDER BY 1
"""
_TAGS = """
SELECT count(DISTINCT t.tag_id), count(DISTINCT t.report_id),
       (SELECT count(*) FROM (SELECT rt.tag_id FROM report_tags rt JOIN reports x ON x.id = rt.report_id
                              WHERE x.created_at >= :start AND x.created_at < :end
                              GROUP BY rt.tag_id HAVING count(*) >= 5) s)
FROM report_tags t JOIN reports r ON r.id = t.report_id
WHERE r.created_at >= :start AND r.created_at < :end
"""


@dataclass
class YearlyReport:
    """The figures of one year and the previous one."""

    year: int
    totals: dict
    previous: dict
    months: list
    districts: list
    speed: list
    tags: dict
    measures: list
    images: dict = field(default_factory=dict)


def _year_rows(year: int, by_district: bool):
    return statistics.monthly(statistics.StatsQuery(date(year, 1, 1), date(year + 1, 1, 1)), by_district)


def _totals(rows) -> dict:
    return {"received": sum(r.received for r in rows), "removals": sum(r.removals for r in rows),
            "cost": round(sum(r.cost_eur for r in rows), 2), "area": round(sum(r.area_m2 for r in rows), 1)}


def _measures_of(year: int) -> list:
    """The measures running at some time in `year`, oldest start first."""
    return list(db.session.scalars(select(Measure).where(
        Measure.start_on <= date(year, 12, 31), or_(Measure.end_on.is_(None), Measure.end_on >= date(year, 1, 1)))
        .order_by(Measure.start_on, Measure.id)))


def collect(year: int, progress=lambda step: None) -> YearlyReport:
    """Every figure of the report for `year` (`progress(step)` is called before each part)."""
    progress(_("Meldungen und Entfernungen"))
    this_rows, last_rows = _year_rows(year, False), _year_rows(year - 1, False)
    months = [0] * 12
    last_months = [0] * 12
    for r in this_rows:
        months[r.month.month - 1] += r.received
    for r in last_rows:
        last_months[r.month.month - 1] += r.received
    progress(_("Stadtteile"))
    by_district: dict = defaultdict(lambda: [0, 0])
    for i, y in enumerate((year, year - 1)):
        for r in _year_rows(y, True):
            by_district[r.district or "–"][i] += r.received
    districts = sorted(([name, a, b] for name, (a, b) in by_district.items()), key=lambda row: -row[1])
    span = {"start": local_midnight(date(year, 1, 1)), "end": local_midnight(date(year + 1, 1, 1))}
    speed = [{"priority": p, "removed": n, "median_days": med, "within_target": on_time}
             for p, n, med, on_time in db.session.execute(text(_SPEED), span)]
    n_tags, tagged, series = db.session.execute(text(_TAGS), span).one()
    progress(_("Maßnahmen auswerten"))
    as_of = min(local_today(), date(year + 1, 1, 1))
    measures = [evaluation.evaluate(m, today=as_of) for m in _measures_of(year)]
    return YearlyReport(year, _totals(this_rows), _totals(last_rows), list(zip(months, last_months, strict=True)),
                        districts, speed, {"tags": n_tags, "reports": tagged, "series": series}, measures)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _images(rep: YearlyReport, progress) -> dict:
    progress(_("Diagramme"))
    names = [format_date(date(rep.year, m, 1), "MMM") for m in range(1, 13)]
    chart = report_charts.monthly_chart(names, [a for a, _b in rep.months], [b for _a, b in rep.months],
                                        {"title": _("Meldungen je Monat"), "this": str(rep.year),
                                         "last": str(rep.year - 1)})
    geoms = [(name, wkb.loads(bytes(g))) for name, g in db.session.execute(
        text("SELECT name, ST_AsBinary(geom_m) FROM districts ORDER BY name"))]
    images = {"months": _data_uri(chart)}
    if geoms:
        images["districts"] = _data_uri(report_charts.district_map(
            geoms, {n: a for n, a, _b in rep.districts}, {n: b for n, _a, b in rep.districts},
            {"title": _("Meldungen je Stadtteil %(year)s", year=rep.year),
             "legend": _("Veränderung zum Vorjahr (Prozent)")}))
    progress(_("Hotspot-Karte (Gi*)"))
    from app.services.police import maps, parameters

    f, opts = parameters.analysis_request({"from": f"{rep.year}-01-01", "to": f"{rep.year}-12-31"})
    legend = {**labels.names(labels.HOTSPOT_CLASS), "clusters": _("Dichte-Cluster (DBSCAN)")}
    images["hotspots"] = _data_uri(maps.print_png(f, opts, _("Hotspots %(year)s", year=rep.year), legend))
    return images


def render_html(year: int, progress=lambda step: None) -> str:
    """The report as an HTML document (images inline) in the current language."""
    rep = collect(year, progress)
    rep.images = _images(rep, progress)
    from gis.prevention import MIN_TREATMENT_INCIDENTS

    return render_template("prevention/report.html", rep=rep, min_incidents=MIN_TREATMENT_INCIDENTS,
                           city_name=current_app.extensions["city"].name, tz=city_timezone().key)


def render_pdf(year: int, lang: str | None = None, progress=lambda step: None) -> bytes:
    """The report as PDF (WeasyPrint), in `lang` (default: the current language)."""
    from weasyprint import HTML

    with force_locale(lang) if lang else nullcontext():
        document = render_html(year, progress)
        progress(_("PDF setzen"))
    return HTML(string=document).write_pdf()


def valid_year(value) -> int | None:
    """A report year from user input (2000 up to the current year), else None."""
    text_value = str(value or "").strip()
    if not text_value.isdigit():
        return None
    year = int(text_value)
    return year if FIRST_YEAR <= year <= local_today().year else None
