"""What anyone may see: a report's status page, nearby open reports, the public map (the address search is
in places.py)."""
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import and_, func, or_, select, text

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import OPEN_SQL, OPEN_STATUSES, Photo, Removal, Report
from app.services.citizen.validation import parse_point
from app.services.core.workdays import local_date
from app.services.core.workflow import public_text
from gis.compass import compass_point

NEARBY_METRES = 50.0
MAP_GRID_METRES = 25.0          # public map positions are snapped to this grid (approximate)
MAP_RECENT = timedelta(days=90)  # closed reports stay on the public map this long
MAP_LIMIT = 5000
STATUS_MAP_RADIUS_M = 25         # the status page's map shows the place as a circle this wide (rounded position)
PUBLIC_FINISHED = ("removed", "closed")  # finished reports the public still sees for MAP_RECENT
PUBLIC_FINISHED_SQL = ", ".join(f"'{s}'" for s in PUBLIC_FINISHED)


def grid_point_sql(column: str) -> str:
    """SQL for the WGS84 point of a metric `column` snapped to the public grid (MAP_GRID_METRES): every
    position the public sees (map, Open311) goes through it."""
    return f"ST_Transform(ST_SnapToGrid({column}, {MAP_GRID_METRES}), 4326)"


def publicly_visible(status, updated_at, now: datetime):
    """The public map's rule as an SQL expression: open reports, and removed or closed ones updated within
    MAP_RECENT; never rejected reports or duplicates (callers pass a duplicate's original's status)."""
    return or_(status.in_(OPEN_STATUSES), and_(status.in_(PUBLIC_FINISHED), updated_at >= now - MAP_RECENT))


NEARBY_DISTANCE_STEP_M = 5      # nearby distances are rounded to this
HANDLE_MAX_AGE_S = 24 * 3600     # a confirmation handle from "nearby" works this long
_HANDLE_SALT = "nearby-confirm"


def _handle_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_HANDLE_SALT)


def confirmation_handle(public_id: str) -> str:
    """An opaque, signed, expiring handle for "I see it too" on a nearby report: it confirms, and opens
    nothing else (the status token stays with the reporter)."""
    return _handle_signer().dumps(public_id)


def is_handle(value: str) -> bool:
    """Whether `value` has a handle's shape (tokens never contain a dot)."""
    return "." in (value or "")


def report_by_handle(handle: str) -> Report | None:
    """The report a confirmation handle names, or None when it is forged, expired or unknown."""
    if not handle or len(handle) > 200:
        return None
    try:
        public_id = _handle_signer().loads(handle, max_age=HANDLE_MAX_AGE_S)
    except BadSignature:
        return None
    return db.session.scalar(select(Report).where(Report.public_id == str(public_id)))


def report_by_token(token: str) -> Report | None:
    """The report with this public token, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Report).where(Report.token == token))


def confirmation_count(report_id: int) -> int:
    """Citizens who said "I see it too" plus the reports recorded as its duplicates."""
    return db.session.scalar(text(
        "SELECT (SELECT count(*) FROM confirmations WHERE report_id = :id)"
        " + (SELECT count(*) FROM reports WHERE duplicate_of_id = :id)"), {"id": report_id})


def _photo_urls(filename: str, thumb: str) -> dict:
    return {"url": f"/media/{filename}", "thumb_url": f"/media/{thumb}"}


def nearby_reports(data: dict) -> list[dict]:
    """Open reports within 50 m of lat/lon (nearest first, at most 10), for "is it one of these?": roughly where
    they are (the public grid, the distance to 5 m) and in which direction (compass point; none at the same
    spot), with a confirmation handle instead of the reporter's status token."""
    errors: list = []
    lat, lon = parse_point(data, errors)
    if not errors and (lat is None or lon is None):
        errors.append(("location", _("Bitte lat und lon angeben.")))
    if errors:
        raise ValidationFailed(errors)
    if not current_city().contains(lon, lat):
        return []  # nothing is stored outside the city (and far points have no metric position)
    rows = db.session.execute(text(f"""
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :srid) AS g)
        SELECT r.id, r.public_id, r.category, r.status, r.created_at, ST_Distance(r.location_m, p.g) AS dist,
               degrees(ST_Azimuth(p.g, r.location_m)) AS bearing,
               ST_Y({grid_point_sql("r.location_m")}) AS lat, ST_X({grid_point_sql("r.location_m")}) AS lon,
               (SELECT ph.thumb_filename FROM photos ph WHERE ph.report_id = r.id ORDER BY ph.id LIMIT 1) AS thumb,
               (SELECT count(*) FROM confirmations c WHERE c.report_id = r.id)
               + (SELECT count(*) FROM reports d WHERE d.duplicate_of_id = r.id) AS confirmations
        FROM reports r, p
        WHERE ST_DWithin(r.location_m, p.g, :radius) AND r.status IN ({OPEN_SQL})
        ORDER BY ST_Distance(r.location_m, p.g), r.id LIMIT 10"""),
        {"lat": lat, "lon": lon, "srid": current_city().srid, "radius": NEARBY_METRES}).all()
    step = NEARBY_DISTANCE_STEP_M
    return [{"handle": confirmation_handle(r.public_id), "category": r.category, "status": r.status,
             "created_at": r.created_at.isoformat(), "distance_m": int(step * round(r.dist / step)),
             "lat": round(r.lat, 6), "lon": round(r.lon, 6),
             "direction": None if r.bearing is None else compass_point(r.bearing),
             "confirmations": r.confirmations, "thumb_url": f"/media/{r.thumb}" if r.thumb else None} for r in rows]


def public_status(token: str) -> dict | None:
    """What anyone with the link may see of a report: status, history (with the city's messages to the citizen),
    photos; no personal data and no internal notes."""
    report = report_by_token(token)
    if report is None:
        return None
    point = db.session.execute(select(func.ST_Y(Report.location), func.ST_X(Report.location))
                               .where(Report.id == report.id)).one()
    original = None
    if report.duplicate_of_id:
        o = db.session.get(Report, report.duplicate_of_id)
        if o is not None:
            original = {"status": o.status, "created_at": o.created_at.isoformat(),
                        "confirmations": confirmation_count(o.id)}
    building = report.building
    return {
        "token": report.token, "category": report.category, "offensive": report.offensive,
        "status": report.status, "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "location": {"lat": round(point[0], 4), "lon": round(point[1], 4)},
        "address": building.address if building else report.address,
        "building_name": building.name if building else None,
        "history": [{"status": e.to_status, "at": e.created_at.isoformat(), "message": public_text(e)}
                    for e in report.events],
        "photos": [{**_photo_urls(p.filename, p.thumb_filename), "kind": p.kind, "width": p.width,
                    "height": p.height} for p in report.photos],
        "after_photos": after_removal_photos(report.duplicate_of_id or report.id),
        "confirmations": confirmation_count(report.id),
        "duplicate_of": original,
    }


def after_removal_photos(report_id: int) -> list[dict]:
    """The crews' after-photos of a report's removals (faces and plates blurred like every photo), oldest first."""
    rows = db.session.execute(
        select(Photo.filename, Photo.thumb_filename, Photo.width, Photo.height, Removal.removed_on)
        .join(Removal, Photo.removal_id == Removal.id).where(Removal.report_id == report_id)
        .order_by(Removal.removed_on, Photo.id)).all()
    return [{**_photo_urls(r.filename, r.thumb_filename), "width": r.width, "height": r.height,
             "removed_on": r.removed_on.isoformat()} for r in rows]


def map_features(bbox: tuple[float, float, float, float]) -> dict:
    """A GeoJSON FeatureCollection of reports in `bbox` at approximate (grid-snapped) positions.

    Open reports, and finished ones of the last 90 days; no duplicates or rejected reports, no text, no
    personal data.
    """
    # Reports lie inside the city: the box is clipped to the city's extent (nothing to ask for outside it),
    # looked up on the metric GiST index (the box in metres, widened by 50 m because a transformed box is not
    # exactly a box) and then checked exactly in WGS84.
    city = current_city()
    cminlon, cminlat, cmaxlon, cmaxlat = city.boundary.bounds
    clip = (max(bbox[0], cminlon), max(bbox[1], cminlat), min(bbox[2], cmaxlon), min(bbox[3], cmaxlat))
    if clip[0] >= clip[2] or clip[1] >= clip[3]:
        return {"type": "FeatureCollection", "features": [], "truncated": False}
    rows = db.session.execute(text(f"""
        SELECT r.public_id, r.category, r.status, r.created_at,
               ST_X(q.g) AS lon, ST_Y(q.g) AS lat
        FROM reports r
        CROSS JOIN LATERAL (SELECT {grid_point_sql("r.location_m")} AS g) q
        WHERE r.location_m && ST_Expand(ST_Transform(ST_MakeEnvelope(:cminlon, :cminlat, :cmaxlon, :cmaxlat, 4326),
                                                     :srid), 50)
          AND r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)
          AND (r.status IN ({OPEN_SQL}) OR (r.status IN ({PUBLIC_FINISHED_SQL}) AND r.updated_at >= :recent))
        ORDER BY r.created_at DESC LIMIT :limit"""),
        {"minlon": bbox[0], "minlat": bbox[1], "maxlon": bbox[2], "maxlat": bbox[3],
         "cminlon": clip[0], "cminlat": clip[1], "cmaxlon": clip[2], "cmaxlat": clip[3], "srid": city.srid,
         "recent": datetime.now(UTC) - MAP_RECENT, "limit": MAP_LIMIT + 1}).all()
    features = [{
        "type": "Feature", "id": r.public_id,
        "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
        "properties": {"category": r.category, "status": r.status, "open": r.status in OPEN_STATUSES,
                       "date": local_date(r.created_at).isoformat()},
    } for r in rows[:MAP_LIMIT]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_LIMIT}


def photo_exists(filename: str) -> bool:
    """Whether a stored photo or thumbnail has this file name."""
    return db.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = :h AND (filename = :n OR thumb_filename = :n))"),
        {"h": filename[:64], "n": filename}).scalar()
