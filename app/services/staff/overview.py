"""The staff overview map's data: open jobs aggregated on a grid when zoomed out, single jobs when zoomed in.

The page never embeds markers; the browser asks for the visible area and gets at most a few hundred clusters
(or, zoomed in, the jobs and building footprints of that area), computed by PostGIS on the metric columns.
"""
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import text

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import OPEN_SQL

DETAIL_ZOOM = 16          # from this zoom on: single jobs and footprints
CLUSTER_PX = 64           # grid cell edge on screen
MAX_DETAIL = 3000         # at most this many jobs / footprints per answer
EARTH_M_PER_PX_Z0 = 156543.03392


@dataclass(frozen=True)
class View:
    """The visible area (WGS84) and zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int


def parse_view(args) -> View:
    """bbox=west,south,east,north (WGS84) and zoom=0..20 from query arguments."""
    try:
        west, south, east, north = (float(v) for v in (args.get("bbox") or "").split(","))
    except ValueError:
        raise ValidationFailed([("bbox", _("bbox muss west,süd,ost,nord in Grad (WGS84) sein."))]) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationFailed([("bbox", _("bbox muss west,süd,ost,nord sein, mit west < ost und süd < nord."))])
    message = _("zoom muss eine ganze Zahl von 0 bis 20 sein.")
    try:
        zoom = int(args.get("zoom", ""))
    except ValueError:
        raise ValidationFailed([("zoom", message)]) from None
    if not 0 <= zoom <= 20:
        raise ValidationFailed([("zoom", message)])
    return View(west, south, east, north, zoom)


def cell_size_m(zoom: int, lat: float) -> float:
    """Grid cell edge in metres that covers CLUSTER_PX screen pixels at `zoom` and latitude `lat`."""
    import math

    return CLUSTER_PX * EARTH_M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2 ** zoom


_ENVELOPE = "ST_Transform(ST_MakeEnvelope(:w, :s, :e, :n, 4326), :srid)"
_OPEN = f"r.status IN ({OPEN_SQL}) AND r.duplicate_of_id IS NULL"


def clusters(view: View, now: datetime) -> dict:
    """Open jobs per grid cell in the view: count, worst priority, overdue count, mean position."""
    srid = current_city().srid
    cell = cell_size_m(view.zoom, (view.south + view.north) / 2)
    # enough memory to aggregate in a hash table instead of sorting 100,000 rows on disk
    db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = db.session.execute(text(f"""
        SELECT count(*), min(r.priority), count(*) FILTER (WHERE r.due_at < :now),
               avg(ST_X(r.location_m)), avg(ST_Y(r.location_m)), min(r.id)
        FROM reports r
        WHERE {_OPEN} AND r.location_m && {_ENVELOPE}
        GROUP BY floor(ST_X(r.location_m) / :cell), floor(ST_Y(r.location_m) / :cell)"""),
        {"now": now, "cell": cell, "w": view.west, "s": view.south, "e": view.east, "n": view.north,
         "srid": srid}).all()
    return {"mode": "clusters", "cell_m": round(cell, 1), "clusters": _to_wgs84(rows, srid)}


def _to_wgs84(rows, srid):
    from gis.projection import transformer

    if not rows:
        return []
    xs = [r[3] for r in rows]
    ys = [r[4] for r in rows]
    lons, lats = transformer(srid, 4326).transform(xs, ys)
    return [[round(lat, 6), round(lon, 6), int(r[0]), int(r[1]), int(r[2]), int(r[5])]
            for r, lon, lat in zip(rows, lons, lats, strict=True)]


def details(view: View, now: datetime) -> dict:
    """Single open jobs and building footprints in the view (capped)."""
    srid = current_city().srid
    params = {"w": view.west, "s": view.south, "e": view.east, "n": view.north, "srid": srid, "now": now,
              "limit": MAX_DETAIL}
    jobs = db.session.execute(text(f"""
        SELECT r.id, ST_Y(r.location), ST_X(r.location), r.priority, r.due_at < :now, r.status, r.category,
               coalesce(b.address, r.address), r.due_at
        FROM reports r LEFT JOIN buildings b ON b.id = r.building_id
        WHERE {_OPEN} AND r.location_m && {_ENVELOPE}
        ORDER BY r.priority, r.due_at LIMIT :limit"""), params).all()
    footprints = db.session.execute(text(f"""
        SELECT b.id, b.owner_type, ST_AsGeoJSON(b.footprint, 6)
        FROM buildings b WHERE b.footprint_m && {_ENVELOPE} LIMIT :limit"""), params).all()
    return {
        "mode": "jobs", "truncated": len(jobs) >= MAX_DETAIL,
        "jobs": [{"id": j[0], "lat": round(j[1], 6), "lon": round(j[2], 6), "priority": j[3],
                  "overdue": bool(j[4]), "status": j[5], "category": j[6], "address": j[7],
                  "due_at": j[8].isoformat() if j[8] else None} for j in jobs],
        "buildings": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": b[0], "properties": {"owner_type": b[1]}, "geometry": json.loads(b[2])}
            for b in footprints]},
    }


def map_data(view: View, now: datetime | None = None) -> dict:
    """Clusters when zoomed out, single jobs and footprints from DETAIL_ZOOM on."""
    now = now or datetime.now(UTC)
    return details(view, now) if view.zoom >= DETAIL_ZOOM else clusters(view, now)
