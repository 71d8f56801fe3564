"""What the job page's map shows: the building's footprint, where the citizen put the pin, and the open jobs
nearby (a crew on site sees what else to do round the corner)."""
import json
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from app.extensions import db
from app.models import OPEN_STATUSES, Building, Report

NEARBY_METRES = 400   # about five minutes on foot
NEARBY_MAX = 40


def job_map(report: Report, now: datetime | None = None) -> dict:
    """Plain data for the map of one job: {"report": [lat, lon], "footprint": GeoJSON or None, "nearby": [...]}
    with each nearby open job (one per building, its most urgent report) as id, lat, lon, priority, status,
    address, overdue and distance in metres."""
    now = now or datetime.now(UTC)
    lat, lon = db.session.execute(select(func.ST_Y(Report.location), func.ST_X(Report.location))
                                  .where(Report.id == report.id)).one()
    footprint = None
    if report.building_id is not None:
        footprint = db.session.scalar(select(func.ST_AsGeoJSON(Building.footprint, 6))
                                      .where(Building.id == report.building_id))
    here = select(Report.location_m).where(Report.id == report.id).scalar_subquery()
    job = func.coalesce(Report.building_id, -Report.id)
    distance = func.ST_Distance(Report.location_m, here)
    leading = (select(Report.id, Report.priority, Report.status, Report.due_at, func.ST_Y(Report.location).label("lat"),
                      func.ST_X(Report.location).label("lon"), func.coalesce(Building.address, Report.address)
                      .label("address"), distance.label("metres"))
               .outerjoin(Building, Building.id == Report.building_id)
               .where(Report.status.in_(OPEN_STATUSES), Report.duplicate_of_id.is_(None), Report.id != report.id,
                      job != func.coalesce(report.building_id, -report.id),
                      func.ST_DWithin(Report.location_m, here, NEARBY_METRES))
               .ext(distinct_on(job)).order_by(job, Report.priority, Report.due_at.asc().nulls_last(), Report.id)
               .subquery())
    rows = db.session.execute(select(leading).order_by(leading.c.metres).limit(NEARBY_MAX)).all()
    nearby = [{"id": r.id, "lat": round(r.lat, 6), "lon": round(r.lon, 6), "priority": r.priority,
               "status": r.status, "address": r.address, "metres": round(r.metres),
               "overdue": bool(r.due_at and r.due_at < now)} for r in rows]
    return {"report": [round(lat, 6), round(lon, 6)], "priority": report.priority,
            "footprint": json.loads(footprint) if footprint else None, "nearby": nearby,
            "radius": NEARBY_METRES}
