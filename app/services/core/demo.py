"""Filling the database with the deterministic demo city (buildings, reports, history, users, prevention
measures whose effects are built into the reports)."""
import logging
import secrets
from datetime import UTC, datetime, timedelta

import numpy as np
from flask import current_app
from shapely.geometry import MultiPolygon, Point
from sqlalchemy import func, insert, select, text

from app.city import current_city
from app.extensions import db
from app.models import (
    Building,
    District,
    Measure,
    MeasureBuilding,
    MeasureEvent,
    Removal,
    Report,
    ReportTag,
    StatusEvent,
    Tag,
)
from app.services.citizen.retention import purge_reporter_contacts
from app.services.core.accounts import create_user
from app.services.core.city_setup import assign_districts, sync_city_and_districts
from app.services.core.sla import removal_target, targets_from_config
from gis.demo import generate_buildings, generate_reports
from gis.projection import to_metric, to_wgs84

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [("staff@example.org", "staff"), ("police@example.org", "police"), ("admin@example.org", "admin"),
              ("prevention@example.org", "prevention")]


def database_is_empty() -> bool:
    """True when there are neither reports nor buildings."""
    return not db.session.scalar(select(func.count()).select_from(Report)) and not db.session.scalar(
        select(func.count()).select_from(Building))


def _district_centres_m(srid: int) -> dict[str, tuple[float, float]]:
    """District representative points in metres; synthetic ones when the city has no districts."""
    city = current_city()
    rows = db.session.execute(select(District.name, func.ST_AsText(func.ST_PointOnSurface(District.geom)))
                              .order_by(District.id)).all()
    from shapely import wkt

    centres = {}
    for name, point_wkt in rows:
        p = to_metric(wkt.loads(point_wkt), srid)
        centres[name] = (p.x, p.y)
    if not centres:
        rng = np.random.default_rng(7)
        boundary_m = city.boundary_metric
        minx, miny, maxx, maxy = boundary_m.bounds
        while len(centres) < 8:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if boundary_m.contains(p):
                centres[f"Bereich {len(centres) + 1}"] = (p.x, p.y)
    return centres


def _core_district(centres_m: dict, srid: int) -> str:
    """The district whose centre is nearest to the configured map centre."""
    lat, lon = current_city().center
    c = to_metric(Point(lon, lat), srid)
    return min(centres_m, key=lambda n: (centres_m[n][0] - c.x) ** 2 + (centres_m[n][1] - c.y) ** 2)


def seed_demo(n_reports: int = 5000, seed: int = 20261126, until: datetime | None = None, progress=log.info) -> dict:
    """Insert the demo city. Same seed, same buildings and reports (timestamps end at `until`, default now)."""
    city = current_city()
    until = until or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    sync_city_and_districts()
    centres = _district_centres_m(city.srid)
    core = _core_district(centres, city.srid)

    progress(f"laying out buildings along streets in {len(centres)} districts ...")
    buildings = generate_buildings(city.boundary_metric, centres, seed, core=core)
    building_ids, addresses = _store_buildings(buildings)
    progress(f"{len(buildings)} buildings stored")

    measures: list = []
    reports = generate_reports(buildings, _hotspots(centres, core, seed), n_reports, until.replace(tzinfo=None), seed,
                               measures=measures)
    progress(f"storing {len(reports)} reports with their history ...")
    report_ids = _store_reports(reports, buildings, building_ids, addresses)
    users = {email: create_user(email, DEMO_PASSWORD, role, display_name=f"Demo {role}") for email, role in DEMO_USERS}
    events, removals = _store_history(report_ids, reports, users["staff@example.org"].id)
    tagged = _store_tags(report_ids, reports, users["police@example.org"].id)
    _store_measures(measures, buildings, building_ids, users["staff@example.org"].id)
    assign_districts()
    purge_reporter_contacts()  # the demo keeps the privacy note too: no contacts on long-finished reports
    summary = {"buildings": len(buildings), "reports": len(reports), "status_events": events,
               "removals": removals, "tagged": tagged, "users": len(users), "measures": len(measures)}
    progress(f"done: {summary}")
    return summary


def _store_buildings(buildings) -> tuple[list[int], list[str]]:
    """Insert the demo buildings; their ids and addresses, in order."""
    city = current_city()
    rows = [{
        "external_id": f"demo-{i}", "name": b.name, "address": f"{b.address}, {city.name}",
        "owner_type": b.owner_type, "department": b.department, "usage": b.usage,
        "footprint": f"SRID=4326;{MultiPolygon([to_wgs84(b.footprint, city.srid)]).wkt}",
    } for i, b in enumerate(buildings)]
    ids = list(db.session.scalars(insert(Building).returning(Building.id, sort_by_parameter_order=True), rows))
    return ids, [row["address"] for row in rows]


def _hotspots(centres: dict, core: str, seed: int) -> list[tuple[float, float, float]]:
    """Hotspot centres and spreads (metres): the core district's and up to six other districts'."""
    core_c = centres[core]
    rng = np.random.default_rng(seed + 2)
    others = [centres[n] for n in sorted(centres) if n != core]
    picks = rng.choice(len(others), size=min(6, len(others)), replace=False)
    return [(core_c[0], core_c[1], 320.0)] + [(others[i][0], others[i][1], 200.0) for i in picks]


def _store_reports(reports, buildings, building_ids: list[int], addresses: list[str]) -> list[int]:
    """Insert the demo reports with their removal targets and duplicate links; their ids, in order."""
    srid = current_city().srid
    targets = targets_from_config(current_app.config)
    report_rows = []
    for r in reports:
        p = to_wgs84(Point(r.x, r.y), srid)
        created = r.created_at.replace(tzinfo=UTC)
        last = r.events[-1][1].replace(tzinfo=UTC)
        status = r.status
        target = removal_target(created, r.offensive, buildings[r.building].owner_type, targets)
        report_rows.append({
            "priority": target.priority, "due_at": target.due_at,
            "token": secrets.token_urlsafe(24), "category": r.category, "description": r.description or None,
            "offensive": r.offensive, "status": status, "source": "demo", "reporter_email": r.email,
            "location": f"SRID=4326;POINT({p.x:.7f} {p.y:.7f})", "building_id": building_ids[r.building],
            "retagged": r.retagged, "created_at": created, "updated_at": last,
            "removed_at": next((t.replace(tzinfo=UTC) for s, t in r.events if s == "removed"), None),
            "closed_at": last if status in ("closed", "rejected", "duplicate") else None,
            "address": addresses[r.building],
        })
    report_ids = list(db.session.scalars(insert(Report).returning(Report.id, sort_by_parameter_order=True),
                                         report_rows))
    dupes = [{"id": report_ids[i], "dup": report_ids[r.duplicate_of]}
             for i, r in enumerate(reports) if r.duplicate_of is not None]
    if dupes:
        db.session.execute(text("UPDATE reports SET duplicate_of_id = :dup WHERE id = :id"), dupes)
    return report_ids


def _store_history(report_ids: list[int], reports, staff_id: int) -> tuple[int, int]:
    """Insert the reports' status events and removals (by the demo staff user); how many of each."""
    events = []
    for rid, r in zip(report_ids, reports, strict=True):
        prev = None
        for status, at in r.events:
            events.append({"report_id": rid, "user_id": None if status in ("new", "duplicate") else staff_id,
                            "from_status": prev, "to_status": status, "created_at": at.replace(tzinfo=UTC),
                            "note": None})
            prev = status
    db.session.execute(insert(StatusEvent), events)
    removals = [{"report_id": rid, "created_by_id": staff_id, **r.removal}
                for rid, r in zip(report_ids, reports, strict=True) if r.removal]
    if removals:
        db.session.execute(insert(Removal), removals)
    return len(events), len(removals)


def _store_tags(report_ids: list[int], reports, police_id: int) -> int:
    """Insert the sprayers' tags and attach them to four in five of their reports; how many were tagged."""
    tag_ids = {}
    for name in sorted({r.tag for r in reports if r.tag}):
        tag = Tag(name=name.lower(), display_name=name, created_by_id=police_id)
        db.session.add(tag)
        db.session.flush()
        tag_ids[name] = tag.id
    tagged = [{"report_id": rid, "tag_id": tag_ids[r.tag], "added_by_id": police_id,
               "added_at": (r.created_at + timedelta(days=2)).replace(tzinfo=UTC)}
              for i, (rid, r) in enumerate(zip(report_ids, reports, strict=True)) if r.tag and i % 5 != 0]
    if tagged:
        db.session.execute(insert(ReportTag), tagged)
    return len(tagged)


def _store_measures(measures, buildings, building_ids: list[int], staff_id: int) -> None:
    """Insert the demo's prevention measures (registered by the demo staff user) at their buildings."""
    srid = current_city().srid
    for m in measures:
        area = MultiPolygon([to_wgs84(m.area.union(buildings[m.building].footprint), srid)])
        row = Measure(kind=m.kind, title=m.title, description=m.description, area=f"SRID=4326;{area.wkt}",
                      start_on=m.start.date(), months=m.months, cost_eur=m.cost_eur, office=m.office,
                      status="active", created_by_id=staff_id)
        db.session.add(row)
        db.session.flush()
        db.session.add(MeasureBuilding(measure_id=row.id, building_id=building_ids[m.building]))
        db.session.add(MeasureEvent(measure_id=row.id, user_id=staff_id, action="created", changes={}))
    db.session.flush()
