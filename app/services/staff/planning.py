"""Crew-day planning: candidate jobs, several crews' days with deadlines (OR-Tools), stored plans, exports."""
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from xml.sax.saxutils import escape as xml_escape

from flask import current_app, has_request_context
from flask_babel import gettext as _
import numpy as np
from sqlalchemy import and_, func, or_, select

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Building, CrewPlan, CrewPlanStop, District, Report
from app.services.core import streets, workflow
from app.services.core.workdays import city_timezone, local_today
from gis import vrp
from gis.projection import transformer

log = logging.getLogger(__name__)

# method -> (set-up minutes, minutes per m²): rough crew experience values, used when no better data exists.
WORK_MINUTES = {"paint_over": (20, 12), "pressure_washing": (25, 15), "chemical": (30, 20), "film_removal": (15, 10)}
DEFAULT_METHOD = {"graffiti": "pressure_washing", "sticker": "film_removal", "scratching": "chemical",
                  "other": "paint_over"}
DEFAULT_AREA_M2 = 2.0
MAX_STOPS = 40


SEARCH_SECONDS = 2.0  # the solver's time limit per plan
MAX_CREWS = 6
CANDIDATES_PER_CREW = 60  # a proposal considers the most urgent 60 jobs per crew (a day holds 8-20)
STREETS, STRAIGHT = "streets", "straight"


@dataclass(frozen=True)
class Depot:
    """Where a crew's day starts and ends."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Settings:
    """Depots, shift start and length, driving assumptions (configurable)."""

    depots: tuple[Depot, ...]
    shift_start: time
    shift_hours: float
    speed_kmh: float
    detour: float

    @property
    def depot(self) -> tuple[float, float]:
        """The first depot's (lat, lon)."""
        return self.depots[0].lat, self.depots[0].lon


@dataclass(frozen=True)
class Crew:
    """A crew of the day and its depot."""

    name: str
    depot: Depot


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
    district: str | None = None


@dataclass
class Tour:
    """One crew's jobs in visiting order with legs, start times and totals."""

    jobs: list[Job]
    legs_m: list[float]
    distance_m: float
    drive_min: float
    work_min: float
    settings: Settings
    crew: Crew | None = None
    starts: list[datetime] = field(default_factory=list)
    distances: str = STRAIGHT
    footprints: list[dict] = field(default_factory=list)

    @property
    def total_min(self) -> float:
        """Driving plus working time."""
        return self.drive_min + self.work_min


@dataclass
class DayPlan:
    """The tours of several crews on one day, the jobs left out with the reason, and how distances were got."""

    day: date
    tours: list[Tour]
    dropped: list[tuple[Job, str]]  # reason: "deadline" (cannot be kept together with the rest) or "shift"
    distances: str

    @property
    def jobs(self) -> list[Job]:
        """Every planned job."""
        return [j for t in self.tours for j in t.jobs]

    @property
    def distance_m(self) -> float:
        """All crews' driving."""
        return sum(t.distance_m for t in self.tours)


def settings() -> Settings:
    """Planning settings: DEPOTS (else one depot at DEPOT_LOCATION, unset: the city's map centre),
    PLAN_SHIFT_START, PLAN_SHIFT_HOURS, CREW_SPEED_KMH (city traffic), ROUTE_DETOUR (streets v. straight lines)."""
    c = current_app.config
    depots = tuple(Depot(*d) for d in c.get("DEPOTS") or ()) or (
        Depot("Depot", *(c["DEPOT_LOCATION"] or current_city().center)),)
    return Settings(depots, time.fromisoformat(c.get("PLAN_SHIFT_START") or "07:00"), float(c["PLAN_SHIFT_HOURS"]),
                    float(c["CREW_SPEED_KMH"]), float(c["ROUTE_DETOUR"]))


def work_minutes(area_m2: float, method: str) -> float:
    """Estimated minutes on site for `area_m2` square metres with `method`."""
    setup, per_m2 = WORK_MINUTES.get(method, WORK_MINUTES["paint_over"])
    return setup + per_m2 * max(float(area_m2), 0.0)


def _jobs(condition, limit=None, order=None) -> list[Job]:
    now = datetime.now(UTC)
    q = (select(Report, func.ST_X(Report.location), func.ST_Y(Report.location), func.ST_X(Report.location_m),
                func.ST_Y(Report.location_m), Building.address, District.name)
         .outerjoin(Building, Building.id == Report.building_id)
         .outerjoin(District, District.id == Report.district_id).where(condition))
    q = q.order_by(*(order or (Report.priority, Report.due_at.asc().nulls_last(), Report.id)))
    if limit:
        q = q.limit(limit)
    jobs = []
    for r, lon, lat, x, y, address, district in db.session.execute(q):
        method = r.est_method or DEFAULT_METHOD.get(r.category, "paint_over")
        area = float(r.est_area_m2) if r.est_area_m2 is not None else DEFAULT_AREA_M2
        jobs.append(Job(r.id, lat, lon, x, y, r.category, r.status, r.priority, r.due_at,
                        bool(r.due_at and r.due_at < now), address or r.address, r.building_id, area, method,
                        work_minutes(area, method), r.description, district))
    return jobs


def _plannable():
    """Verified crew jobs, and owner notifications whose deadline passed (the city steps in)."""
    now = datetime.now(UTC)
    return and_(Report.duplicate_of_id.is_(None), or_(
        and_(Report.status == "verified", Report.priority <= 3),
        and_(Report.status == "notify_owner", Report.due_at < now)))


def candidates(limit: int = 300, district: int | None = None, category: str | None = None) -> list[Job]:
    """Jobs a crew can be sent to, most urgent first; optionally of one district (id) and one category."""
    cond = _plannable()
    if district:
        cond = and_(cond, Report.district_id == district)
    if category:
        cond = and_(cond, Report.category == category)
    return _jobs(cond, limit=limit)


def travel(points: list[tuple[float, float]], s: Settings | None = None):
    """(metres, seconds, STREETS or STRAIGHT) between (lat, lon) points: over the loaded street network, else
    the straight line times ROUTE_DETOUR at CREW_SPEED_KMH."""
    s = s or settings()
    if len(points) > 1:
        metres = streets.distance_matrix(points)
        if metres is not None:
            return metres, streets.travel_time_matrix(points), STREETS
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    x, y = transformer(4326, current_city().srid).transform(pts[:, 1], pts[:, 0])
    xy = np.column_stack([x, y])
    metres = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) * s.detour
    return metres, metres / (s.speed_kmh / 3.6), STRAIGHT


def shift_start(day: date, s: Settings) -> datetime:
    """The start of the crews' day (PLAN_SHIFT_START in the city's time zone), in UTC."""
    return datetime.combine(day, s.shift_start, tzinfo=city_timezone()).astimezone(UTC)


def plan_day(jobs: list[Job], crews: list[Crew], day: date, s: Settings | None = None,
             shift_hours: float | None = None, time_limit_s: float | None = None,
             routes: list[list[int]] | None = None) -> DayPlan:
    """Share `jobs` among `crews` and order each crew's day (OR-Tools, gis/vrp.py): deadlines that fall in the
    day are kept (or the job is left out and reported), late jobs come early, priority breaks ties, driving is
    as short as that allows. `routes` (indices into `jobs` per crew): keep this order instead of solving."""
    s = s or settings()
    depots = list(dict.fromkeys(c.depot for c in crews))
    points = [(d.lat, d.lon) for d in depots] + [(j.lat, j.lon) for j in jobs]
    metres, seconds, source = travel(points, s)
    shift_s = int((shift_hours or s.shift_hours) * 3600)
    start = shift_start(day, s)
    crew_nodes = [depots.index(c.depot) for c in crews]
    n_dep = len(depots)
    work = [int(round(j.work_min * 60)) for j in jobs]
    due_in = [(j.due_at - start).total_seconds() if j.due_at else None for j in jobs]
    problem, kind = vrp.day_problem(metres, seconds, len(depots), crew_nodes, shift_s, work, due_in,
                                    [j.priority for j in jobs])
    if routes is None:
        solution = vrp.solve(problem, SEARCH_SECONDS if time_limit_s is None else time_limit_s)
        routes, starts_s, dropped = solution.routes, solution.starts_s, solution.dropped
    else:  # a plan shown before (the preview): the same order again, its times computed
        starts_s = [_start_times(node, route, n_dep, work, seconds) for node, route in zip(crew_nodes, routes,
                                                                                          strict=True)]
        dropped = sorted(set(range(len(jobs))) - {i for r in routes for i in r})
    tours = []
    for crew, node, route, starts in zip(crews, crew_nodes, routes, starts_s, strict=True):
        path = [node, *(n_dep + i for i in route), node]
        legs = [float(metres[a][b]) for a, b in pairwise(path)] if route else []
        drive = sum(float(seconds[a][b]) for a, b in pairwise(path)) / 60 if route else 0.0
        chosen = [jobs[i] for i in route]
        tours.append(Tour(chosen, legs, sum(legs), drive, sum(j.work_min for j in chosen), s, crew,
                          [start + timedelta(seconds=t) for t in starts], source))
    return DayPlan(day, tours, [(jobs[i], "deadline" if kind[i] == "deadline" else "shift") for i in dropped],
                   source)


def _start_times(depot: int, route: list[int], n_dep: int, work: list[int], seconds) -> list[float]:
    clock, here, out = 0.0, depot, []
    for i in route:
        clock += float(seconds[here][n_dep + i])
        out.append(clock)
        clock += work[i]
        here = n_dep + i
    return out


def route_key(day: date, shift_hours: float, crews: list[Crew]) -> str:
    """What a shown plan was made for (day, shift, each crew's depot): the form sends it back with the order."""
    return "|".join([day.isoformat(), f"{shift_hours:g}", *(f"{c.depot.lat:.6f},{c.depot.lon:.6f}" for c in crews)])


def parse_routes(values, ids: list[int], n_crews: int) -> list[list[int]] | None:
    """A shown plan's order from the form ("crew:id,id,..." per crew) when it covers exactly the picked jobs and
    every crew, else None (the jobs are planned anew)."""
    routes: list[list[int]] = [[] for _ in range(n_crews)]
    for value in values:
        crew, _sep, rest = str(value).partition(":")
        if not crew.isdigit() or int(crew) >= n_crews or not all(v.isdigit() for v in rest.split(",") if v):
            return None
        routes[int(crew)] = [int(v) for v in rest.split(",") if v]
    shown = [i for r in routes for i in r]
    if not values or len(shown) != len(set(shown)) or set(shown) != set(ids):
        return None
    return routes


def checked_shift(hours: float | None, field: str = "hours") -> float | None:
    """A requested shift length in hours (None: the configured one); ValidationFailed unless 0.5 to 16 hours."""
    if hours is not None and not 0.5 <= hours <= 16:
        raise ValidationFailed([(field, _("Eine Schicht dauert zwischen 0,5 und 16 Stunden."))])
    return hours


def default_crews(n: int = 1, s: Settings | None = None) -> list[Crew]:
    """`n` crews named "Trupp 1" ..., spread over the depots in turn."""
    s = s or settings()
    name = _("Trupp %(n)d") if has_request_context() else "Trupp %(n)d"
    return [Crew(name % {"n": i + 1}, s.depots[i % len(s.depots)]) for i in range(n)]


def parse_crews(names, depots, s: Settings | None = None) -> list[Crew]:
    """Crews from the form's name and depot lists (rows without a name are skipped)."""
    s = s or settings()
    crews = []
    depots = list(depots)
    for i, name in enumerate(names):
        name = (name or "").strip()[:100]
        if not name:
            continue
        value = depots[i] if i < len(depots) else "0"
        if not str(value).isdigit() or int(value) >= len(s.depots):
            raise ValidationFailed([("depot", _("„%(value)s“ ist kein Depot.", value=value))])
        crews.append(Crew(name, s.depots[int(value)]))
    if not crews:
        raise ValidationFailed([("crew", _("Bitte den Trupp angeben."))])
    if len({c.name for c in crews}) < len(crews):
        raise ValidationFailed([("crew", _("Jeder Trupp braucht einen eigenen Namen."))])
    if len(crews) > MAX_CREWS:
        raise ValidationFailed([("crew", _("Höchstens %(n)d Trupps an einem Tag.", n=MAX_CREWS))])
    return crews


def propose(shift_hours: float | None = None, crews: list[Crew] | None = None, day: date | None = None,
            district: int | None = None, category: str | None = None, s: Settings | None = None) -> DayPlan:
    """The most urgent jobs that fit the crews' shifts from their depots and back, shared and in visiting order."""
    s = s or settings()
    crews = crews or default_crews(1, s)
    jobs = candidates(CANDIDATES_PER_CREW * len(crews), district, category)
    return plan_day([j for j in jobs if j.work_min <= (shift_hours or s.shift_hours) * 60], crews,
                    day or local_today(), s, shift_hours)


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


def jobs_by_ids(ids: list[int], crews: int = 1) -> list[Job]:
    """The plannable jobs with these ids; unknown or unplannable ones are refused with their number."""
    if not ids:
        raise ValidationFailed([("jobs", _("Bitte mindestens einen Auftrag wählen."))])
    if len(ids) > MAX_STOPS * crews:
        raise ValidationFailed([("jobs", _("Höchstens %(n)d Aufträge passen in den Tag eines Trupps.", n=MAX_STOPS))])
    found = {j.id: j for j in _jobs(and_(Report.id.in_(ids), _plannable()))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed([("jobs", _("Aufträge, die sich nicht einplanen lassen (unbekannt, nicht geprüft, "
                                           "schon eingeplant oder ein privates Gebäude): %(ids)s.",
                                           ids=", ".join(map(str, missing))))])
    return [found[i] for i in ids]


def plan_picked(day: date, crews: list[Crew], ids: list[int], shift_hours: float | None = None,
                shown: list[list[int]] | None = None) -> DayPlan:
    """The picked jobs shared among the crews, in visiting order (jobs that do not fit are reported); `shown`:
    the order (job ids per crew) of the plan shown for the same day, shift and depots, kept as it was."""
    jobs = jobs_by_ids(ids, len(crews))
    if shown:
        index = {j.id: i for i, j in enumerate(jobs)}
        kept = plan_day(jobs, crews, day, shift_hours=shift_hours, routes=[[index[i] for i in r] for r in shown])
        if all(t.total_min <= (shift_hours or kept.tours[0].settings.shift_hours) * 60 + 1 for t in kept.tours):
            return kept
    return plan_day(jobs, crews, day, shift_hours=shift_hours)


def create_plans(day: date, crews: list[Crew], ids: list[int], user, shift_hours: float | None = None,
                 shown: list[list[int]] | None = None) -> tuple[list[CrewPlan], DayPlan]:
    """Store every crew's day in visiting order and schedule every job in it; jobs that fit no crew stay.
    `shown`: the order of the plan the clerk saw (see plan_picked)."""
    day_plan = plan_picked(day, crews, ids, shift_hours, shown)
    plans = []
    for tour in day_plan.tours:
        if not tour.jobs:
            continue
        depot, crew = tour.crew.depot, tour.crew.name
        plan = CrewPlan(day=day, crew=crew, depot_lat=depot.lat, depot_lon=depot.lon, distance_m=tour.distance_m,
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
        plans.append(plan)
        log.info("crew plan %s: %s stops, %.1f km (%s), %.0f min", plan.id, len(tour.jobs),
                 tour.distance_m / 1000, day_plan.distances, tour.total_min)
    return plans, day_plan


def create_plan(day: date, crew: str, ids: list[int], user) -> CrewPlan | None:
    """One crew's day from the first depot (None when none of the jobs fits it)."""
    plans, _day_plan = create_plans(day, parse_crews([crew], ["0"]), ids, user)
    return plans[0] if plans else None


def plan_tour(plan: CrewPlan) -> Tour:
    """A stored plan as a tour (its stored order), with current job data, distances and building footprints."""
    ids = [stop.report_id for stop in plan.stops]
    by_id = {j.id: j for j in _jobs(Report.id.in_(ids))} if ids else {}
    jobs = [by_id[i] for i in ids if i in by_id]
    s = settings()
    depot = next((d for d in s.depots if (d.lat, d.lon) == (plan.depot_lat, plan.depot_lon)),
                 Depot("Depot", plan.depot_lat, plan.depot_lon))
    metres, seconds, source = travel([(depot.lat, depot.lon)] + [(j.lat, j.lon) for j in jobs], s)
    path = [0, *range(1, len(jobs) + 1), 0]
    legs = [float(metres[a][b]) for a, b in pairwise(path)] if jobs else []
    start, starts, clock = shift_start(plan.day, s), [], 0.0
    for (a, b), job in zip(pairwise(path), jobs, strict=False):
        clock += float(seconds[a][b])
        starts.append(start + timedelta(seconds=clock))
        clock += job.work_min * 60
    drive = sum(float(seconds[a][b]) for a, b in pairwise(path)) / 60 if jobs else 0.0
    tour = Tour(jobs, legs, sum(legs), drive, sum(j.work_min for j in jobs), s, Crew(plan.crew, depot), starts,
                source)
    building_ids = [j.building_id for j in jobs if j.building_id]
    if building_ids:
        tour.footprints = [json.loads(g) for g in db.session.scalars(
            select(func.ST_AsGeoJSON(Building.footprint, 6)).where(Building.id.in_(building_ids)))]
    return tour


def route_path(tour: Tour) -> list[tuple[float, float]] | None:
    """The tour along the streets as (lat, lon) points, depot to depot (None without a street network: the map
    draws straight legs)."""
    if tour.distances != STREETS or not tour.jobs or tour.crew is None:
        return None
    depot = (tour.crew.depot.lat, tour.crew.depot.lon)
    stops = [depot] + [(j.lat, j.lon) for j in tour.jobs] + [depot]
    points: list[tuple[float, float]] = []
    for a, b in pairwise(stops):
        leg = streets.path(a, b)
        points += leg.points if leg is not None else [a, b]
    return points


def plans_of_day(day: date) -> list[CrewPlan]:
    """Every crew's plan of one day, in the order they were made."""
    return list(db.session.scalars(select(CrewPlan).where(CrewPlan.day == day).order_by(CrewPlan.id)))


def recent_plans(limit: int = 20) -> list[CrewPlan]:
    """The latest crew plans."""
    return list(db.session.scalars(select(CrewPlan).order_by(CrewPlan.day.desc(), CrewPlan.id.desc()).limit(limit)))


def plan_spreadsheet(plan: CrewPlan, tour: Tour, fmt: str) -> tuple[bytes, str]:
    """The work sheet as CSV, one row per stop and the way back to the depot: for spreadsheets in the reader's
    language (labels, local times), or machine-readable with fmt "csv" (codes, ISO times with their offset)."""
    from app import labels
    from app.services.staff.exports import table_csv

    machine = fmt == "csv"
    category, method = ((str, str) if machine else (labels.category_label, labels.method_label))

    columns = [("stop", _("Stopp"), "text"), ("job", _("Auftrag"), "int"), ("address", _("Adresse"), "text"),
               ("category", _("Kategorie"), "text"), ("priority", _("Priorität"), "int"),
               ("due_at", _("Fällig"), "time"), ("lat", _("Breite"), "coord"), ("lon", _("Länge"), "coord"),
               ("method", _("Methode"), "text"), ("area_m2", _("Fläche (m²)"), "dec1"),
               ("work_min", _("Arbeitszeit (min)"), "int"), ("leg_km", _("Anfahrt (km)"), "dec2"),
               ("start", _("Beginn"), "time"), ("distances", _("Wegberechnung"), "text")]
    if machine:
        way = tour.distances
    else:
        way = _("Straßennetz") if tour.distances == STREETS else _("Luftlinie × Umwegfaktor")
    rows = [[seq, job.id, job.address, category(job.category), job.priority, job.due_at, job.lat,
             job.lon, method(job.method), job.area_m2, round(job.work_min), leg / 1000, start, way]
            for seq, (job, leg, start) in enumerate(zip(tour.jobs, tour.legs_m, tour.starts, strict=False), start=1)]
    rows.append(["depot" if machine else _("Depot"), None, tour.crew.depot.name if tour.crew else None, None, None,
                 None, plan.depot_lat, plan.depot_lon, None, None, None,
                 tour.legs_m[-1] / 1000 if tour.legs_m else 0, None, way])
    return table_csv(columns, rows, fmt)


def plan_gpx(plan: CrewPlan, tour: Tour) -> str:
    """The plan as GPX 1.1: the stops as waypoints and the visiting order as a route from the depot and back."""
    def pt(tag, lat, lon, name, desc=""):
        d = f"<desc>{xml_escape(desc)}</desc>" if desc else ""
        return f'<{tag} lat="{lat:.6f}" lon="{lon:.6f}"><name>{xml_escape(name)}</name>{d}</{tag}>'

    depot = (plan.depot_lat, plan.depot_lon)
    stops = [(f"{seq}. #{j.id}", j.lat, j.lon, j.address or "") for seq, j in enumerate(tour.jobs, start=1)]
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<gpx version="1.1" creator="graffiti-reports" xmlns="http://www.topografix.com/GPX/1/1">',
             f"<metadata><name>{xml_escape(f'{plan.crew} {plan.day.isoformat()}')}</name>"
             f"<desc>distances: {tour.distances}</desc></metadata>"]
    parts += [pt("wpt", lat, lon, name, desc) for name, lat, lon, desc in stops]
    parts.append(f"<rte><name>{xml_escape(plan.crew)}</name>")
    parts.append(pt("rtept", *depot, "Depot"))
    parts += [pt("rtept", lat, lon, name) for name, lat, lon, _ in stops]
    parts.append(pt("rtept", *depot, "Depot"))
    parts.append("</rte></gpx>")
    return "\n".join(parts) + "\n"
