"""Crew-day planning: candidate jobs, proposals that fit a shift, visiting order, stored plans, exports."""
import csv
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import pairwise
from xml.sax.saxutils import escape as xml_escape

from flask import current_app
from flask_babel import gettext as _
from shapely.geometry import Point
from sqlalchemy import and_, func, or_, select

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Building, CrewPlan, CrewPlanStop, Report
from app.services.core import workflow
from gis.projection import to_metric
from gis.routing import order_stops

log = logging.getLogger(__name__)

# method -> (set-up minutes, minutes per m²): rough crew experience values, used when no better data exists.
WORK_MINUTES = {"paint_over": (20, 12), "pressure_washing": (25, 15), "chemical": (30, 20), "film_removal": (15, 10)}
DEFAULT_METHOD = {"graffiti": "pressure_washing", "sticker": "film_removal", "scratching": "chemical",
                  "other": "paint_over"}
DEFAULT_AREA_M2 = 2.0
MAX_STOPS = 40


@dataclass(frozen=True)
class Settings:
    """Depot, shift length and driving assumptions (configurable)."""

    depot: tuple[float, float]  # (lat, lon)
    shift_hours: float
    speed_kmh: float
    detour: float


@dataclass
class Job:
    """A plannable job with its position (WGS84 and metric) and estimated work time."""

    id: int
    lat: float
    lon: float
    x: float
    y: float
    category: str
    status: str
    priority: int
    due_at: datetime | None
    overdue: bool
    address: str | None
    building_id: int | None
    area_m2: float
    method: str
    work_min: float
    description: str | None = None


@dataclass
class Tour:
    """Jobs in visiting order with distance and time estimates."""

    jobs: list[Job]
    legs_m: list[float]
    distance_m: float
    drive_min: float
    work_min: float
    settings: Settings
    footprints: list[dict] = field(default_factory=list)

    @property
    def total_min(self) -> float:
        """Driving plus working time."""
        return self.drive_min + self.work_min


def settings() -> Settings:
    """Planning settings: DEPOT_LOCATION (unset: the city's map centre), PLAN_SHIFT_HOURS, CREW_SPEED_KMH (city
    traffic) and ROUTE_DETOUR (streets versus straight lines)."""
    c = current_app.config
    return Settings(c["DEPOT_LOCATION"] or current_city().center, float(c["PLAN_SHIFT_HOURS"]),
                    float(c["CREW_SPEED_KMH"]), float(c["ROUTE_DETOUR"]))


def work_minutes(area_m2: float, method: str) -> float:
    """Estimated minutes on site for `area_m2` square metres with `method`."""
    setup, per_m2 = WORK_MINUTES.get(method, WORK_MINUTES["paint_over"])
    return setup + per_m2 * max(float(area_m2), 0.0)


def _jobs(condition, limit=None, order=None) -> list[Job]:
    now = datetime.now(UTC)
    q = (select(Report, func.ST_X(Report.location), func.ST_Y(Report.location), func.ST_X(Report.location_m),
                func.ST_Y(Report.location_m), Building.address)
         .outerjoin(Building, Building.id == Report.building_id).where(condition))
    q = q.order_by(*(order or (Report.priority, Report.due_at.asc().nulls_last(), Report.id)))
    if limit:
        q = q.limit(limit)
    jobs = []
    for r, lon, lat, x, y, address in db.session.execute(q):
        method = r.est_method or DEFAULT_METHOD.get(r.category, "paint_over")
        area = float(r.est_area_m2) if r.est_area_m2 is not None else DEFAULT_AREA_M2
        jobs.append(Job(r.id, lat, lon, x, y, r.category, r.status, r.priority, r.due_at,
                        bool(r.due_at and r.due_at < now), address or r.address, r.building_id, area, method,
                        work_minutes(area, method), r.description))
    return jobs


def _plannable():
    """Verified crew jobs, and owner notifications whose deadline passed (the city steps in)."""
    now = datetime.now(UTC)
    return and_(Report.duplicate_of_id.is_(None), or_(
        and_(Report.status == "verified", Report.priority <= 3),
        and_(Report.status == "notify_owner", Report.due_at < now)))


def candidates(limit: int = 300) -> list[Job]:
    """Jobs a crew can be sent to, most urgent first."""
    return _jobs(_plannable(), limit=limit)


def build_tour(jobs: list[Job], s: Settings | None = None, exact_limit: int | None = None) -> Tour:
    """The visiting order from the depot over `jobs` and back, with distance and time estimates."""
    s = s or settings()
    srid = current_city().srid
    depot_m = to_metric(Point(s.depot[1], s.depot[0]), srid)
    kwargs = {} if exact_limit is None else {"exact_limit": exact_limit}
    tour = order_stops((depot_m.x, depot_m.y), [(j.x, j.y) for j in jobs], **kwargs)
    ordered = [jobs[i] for i in tour.order]
    road_m = tour.distance_m * s.detour
    drive_min = road_m / 1000 / s.speed_kmh * 60
    return Tour(ordered, [leg * s.detour for leg in tour.legs_m], road_m, drive_min,
                sum(j.work_min for j in ordered), s)


def checked_shift(hours: float | None, field: str = "hours") -> float | None:
    """A requested shift length in hours (None: the configured one); ValidationFailed unless 0.5 to 16 hours."""
    if hours is not None and not 0.5 <= hours <= 16:
        raise ValidationFailed([(field, _("Eine Schicht dauert zwischen 0,5 und 16 Stunden."))])
    return hours


def propose(shift_hours: float | None = None, s: Settings | None = None, limit: int = 300) -> Tour:
    """The most urgent jobs that fit one shift from the depot and back, in visiting order."""
    s = s or settings()
    budget = (shift_hours or s.shift_hours) * 60
    chosen: list[Job] = []
    misses = 0
    for job in candidates(limit):
        if job.work_min > budget or len(chosen) >= MAX_STOPS:
            continue
        trial = build_tour(chosen + [job], s, exact_limit=8)
        if trial.total_min <= budget:
            chosen.append(job)
            misses = 0
        else:
            misses += 1
            if misses >= 15:
                break
    return build_tour(chosen, s)


def parse_ids(values) -> list[int]:
    """Report ids from a form/JSON list; refuses junk and repeats."""
    ids = []
    for v in values:
        try:
            i = int(v)
        except (TypeError, ValueError):
            raise ValidationFailed([("jobs", _("„%(value)s“ ist keine Auftragsnummer.", value=v))]) from None
        if i not in ids:
            ids.append(i)
    return ids


def jobs_by_ids(ids: list[int]) -> list[Job]:
    """The plannable jobs with these ids; unknown or unplannable ones are refused with their number."""
    if not ids:
        raise ValidationFailed([("jobs", _("Bitte mindestens einen Auftrag wählen."))])
    if len(ids) > MAX_STOPS:
        raise ValidationFailed([("jobs", _("Höchstens %(n)d Aufträge passen in den Tag eines Trupps.", n=MAX_STOPS))])
    found = {j.id: j for j in _jobs(and_(Report.id.in_(ids), _plannable()))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed([("jobs", _("Aufträge, die sich nicht einplanen lassen (unbekannt, nicht geprüft, "
                                           "schon eingeplant oder ein privates Gebäude): %(ids)s.",
                                           ids=", ".join(map(str, missing))))])
    return [found[i] for i in ids]


def create_plan(day: date, crew: str, ids: list[int], user) -> CrewPlan:
    """Store a crew's day in visiting order and schedule every job in it."""
    crew = (crew or "").strip()[:100]
    if not crew:
        raise ValidationFailed([("crew", _("Bitte den Trupp angeben."))])
    jobs = jobs_by_ids(ids)
    tour = build_tour(jobs)
    s = tour.settings
    plan = CrewPlan(day=day, crew=crew, depot_lat=s.depot[0], depot_lon=s.depot[1], distance_m=tour.distance_m,
                    duration_min=tour.total_min, created_by_id=getattr(user, "id", None))
    db.session.add(plan)
    db.session.flush()
    for seq, job in enumerate(tour.jobs, start=1):
        report = db.session.get(Report, job.id)
        if report.status == "notify_owner":
            note = f"Owner did not act; crew plan #{plan.id} ({day.isoformat()}, {crew}), stop {seq}"
        else:
            note = f"Crew plan #{plan.id} ({day.isoformat()}, {crew}), stop {seq}"
        workflow.change_status(report, "scheduled", user, note=note)
        plan.stops.append(CrewPlanStop(seq=seq, report_id=job.id))
    db.session.flush()
    log.info("crew plan %s: %s stops, %.1f km, %.0f min", plan.id, len(jobs), tour.distance_m / 1000, tour.total_min)
    return plan


def plan_tour(plan: CrewPlan) -> Tour:
    """A stored plan as a tour (its stored order), with current job data and building footprints."""
    ids = [stop.report_id for stop in plan.stops]
    by_id = {j.id: j for j in _jobs(Report.id.in_(ids))} if ids else {}
    jobs = [by_id[i] for i in ids if i in by_id]
    base = settings()
    s = Settings((plan.depot_lat, plan.depot_lon), base.shift_hours, base.speed_kmh, base.detour)
    srid = current_city().srid
    depot_m = to_metric(Point(s.depot[1], s.depot[0]), srid)
    pts = [(depot_m.x, depot_m.y)] + [(j.x, j.y) for j in jobs] + [(depot_m.x, depot_m.y)]
    legs = [((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 * s.detour for a, b in pairwise(pts)]
    distance = sum(legs) if jobs else 0.0
    tour = Tour(jobs, legs, distance, distance / 1000 / s.speed_kmh * 60, sum(j.work_min for j in jobs), s)
    building_ids = [j.building_id for j in jobs if j.building_id]
    if building_ids:
        tour.footprints = [json.loads(g) for g in db.session.scalars(
            select(func.ST_AsGeoJSON(Building.footprint, 6)).where(Building.id.in_(building_ids)))]
    return tour


def recent_plans(limit: int = 20) -> list[CrewPlan]:
    """The latest crew plans."""
    return list(db.session.scalars(select(CrewPlan).order_by(CrewPlan.day.desc(), CrewPlan.id.desc()).limit(limit)))


def plan_csv(plan: CrewPlan, tour: Tour) -> str:
    """The work sheet as CSV (one row per stop)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["stop", "job", "address", "category", "priority", "due_at", "lat", "lon", "method",
                "area_m2", "work_min", "leg_km"])
    # one leg more than jobs: the last one leads back to the depot (its own row below)
    for seq, (job, leg) in enumerate(zip(tour.jobs, tour.legs_m, strict=False), start=1):
        w.writerow([seq, job.id, _csv_safe(job.address or ""), job.category, job.priority,
                    job.due_at.isoformat() if job.due_at else "", f"{job.lat:.6f}", f"{job.lon:.6f}", job.method,
                    f"{job.area_m2:.1f}", f"{job.work_min:.0f}", f"{leg / 1000:.2f}"])
    w.writerow(["depot", "", "", "", "", "", f"{plan.depot_lat:.6f}", f"{plan.depot_lon:.6f}", "", "", "",
                f"{tour.legs_m[-1] / 1000:.2f}" if tour.legs_m else "0"])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Keep spreadsheets from running text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def plan_gpx(plan: CrewPlan, tour: Tour) -> str:
    """The plan as GPX 1.1: the stops as waypoints and the visiting order as a route from the depot and back."""
    def pt(tag, lat, lon, name, desc=""):
        d = f"<desc>{xml_escape(desc)}</desc>" if desc else ""
        return f'<{tag} lat="{lat:.6f}" lon="{lon:.6f}"><name>{xml_escape(name)}</name>{d}</{tag}>'

    depot = (plan.depot_lat, plan.depot_lon)
    stops = [(f"{seq}. #{j.id}", j.lat, j.lon, j.address or "") for seq, j in enumerate(tour.jobs, start=1)]
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<gpx version="1.1" creator="graffiti-reports" xmlns="http://www.topografix.com/GPX/1/1">',
             f"<metadata><name>{xml_escape(f'{plan.crew} {plan.day.isoformat()}')}</name></metadata>"]
    parts += [pt("wpt", lat, lon, name, desc) for name, lat, lon, desc in stops]
    parts.append(f"<rte><name>{xml_escape(plan.crew)}</name>")
    parts.append(pt("rtept", *depot, "Depot"))
    parts += [pt("rtept", lat, lon, name) for name, lat, lon, _ in stops]
    parts.append(pt("rtept", *depot, "Depot"))
    parts.append("</rte></gpx>")
    return "\n".join(parts) + "\n"
