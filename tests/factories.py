"""Test data for every area: places in Heilbronn, buildings, reports (through the workflow or in bulk by SQL),
photos with EXIF, and posting a citizen report to the API."""
import io
import secrets
from datetime import UTC, datetime, timedelta

import numpy as np
from geoalchemy2.shape import from_shape, to_shape
from PIL import Image
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Building, Report
from app.services.core import workflow
from app.services.staff import triage
from gis.projection import to_metric, to_wgs84

SRID = 25832                         # Heilbronn's metric CRS
MARKT = (49.1418, 9.2185)            # lat, lon: Marktplatz, inside Heilbronn
NECKARSULM = (49.1920, 9.2255)       # outside the city boundary

# The statuses a report passes through to reach each status from "new".
_PATHS = {"new": [], "verified": ["verified"], "scheduled": ["verified", "scheduled"],
          "removed": ["verified", "scheduled", "removed"], "closed": ["verified", "scheduled", "removed", "closed"],
          "notify_owner": ["verified", "notify_owner"], "rejected": ["rejected"]}


def offset(lat, lon, east_m=0.0, north_m=0.0):
    """The (lat, lon) `east_m`/`north_m` metres away from (lat, lon), computed in the metric CRS."""
    p = to_metric(Point(lon, lat), SRID)
    q = to_wgs84(Point(p.x + east_m, p.y + north_m), SRID)
    return q.y, q.x


def make_building(lat=MARKT[0], lon=MARKT[1], size_m=20.0, owner_type="municipal", address="Marktplatz 1",
                  name=None, external_id=None):
    """A square building footprint of `size_m` metres centred on (lat, lon)."""
    p = to_metric(Point(lon, lat), SRID)
    half = size_m / 2
    footprint = to_wgs84(box(p.x - half, p.y - half, p.x + half, p.y + half), SRID)
    b = Building(external_id=external_id or f"t-{secrets.token_hex(4)}", address=address, name=name,
                 owner_type=owner_type, footprint=from_shape(MultiPolygon([footprint]), srid=4326))
    db.session.add(b)
    db.session.flush()
    return b


def make_report(building=None, lat=None, lon=None, status="new", category="graffiti", offensive=False,
                created_at=None, description=None, **extra):
    """A report (with its creation event, removal target and re-tag flag) at the building or the given point,
    moved along the workflow to `status`."""
    created_at = created_at or datetime.now(UTC) - timedelta(hours=2)
    if building is not None and lat is None:
        c = to_shape(building.footprint).centroid
        lat, lon = c.y, c.x
    lat, lon = lat or MARKT[0], lon or MARKT[1]
    r = Report(token=secrets.token_urlsafe(16), category=category, offensive=offensive, status="new",
               location=f"SRID=4326;POINT({lon} {lat})", building_id=building.id if building else None,
               created_at=created_at, updated_at=created_at, description=description, **extra)
    db.session.add(r)
    db.session.flush()
    db.session.refresh(r)
    triage.refresh_target(r)
    r.retagged = workflow.is_retag(r.building_id, r.created_at)
    workflow.record_creation(r, at=created_at)
    for step in _PATHS[status]:
        workflow.change_status(r, step, None)
    db.session.flush()
    return r


def seed_reports(points, days_ago=10, category="graffiti"):
    """Insert new reports at metric offsets (dx, dy) from the city centre by SQL and commit; returns their ids."""
    from app.city import current_city

    city = current_city()
    lat, lon = city.center
    c = to_metric(Point(lon, lat), city.srid)
    ids = []
    for k, (dx, dy) in enumerate(points):
        p = to_wgs84(Point(c.x + dx, c.y + dy), city.srid)
        created = datetime.now(UTC) - timedelta(days=days_ago, hours=k % 5)
        ids.append(db.session.execute(text(
            "INSERT INTO reports (token, category, location, created_at, updated_at, status) VALUES "
            "(:t, :c, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :at, :at, 'new') RETURNING id"),
            {"t": f"test-{k}-{np.random.default_rng().integers(1 << 60)}", "c": category, "lon": p.x, "lat": p.y,
             "at": created}).scalar())
    db.session.commit()
    return ids


def jpeg_bytes(size=(64, 48), color=(180, 40, 40), exif=None, fmt="JPEG", mode="RGB"):
    """A small generated image, optionally with EXIF."""
    img = Image.new(mode, size, color)
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def gps_exif(lat, lon, orientation=1):
    """EXIF with camera make, owner, orientation and GPS position."""
    def dms(value):
        d = int(value)
        m = int((value - d) * 60)
        return (float(d), float(m), round((value - d - m / 60) * 3600, 4))

    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "ACME Camera Co"
    exif[0x013B] = "Erika Mustermann"   # Artist (owner)
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    return exif


def post(client, data=None, photos=(), headers=None, **fields):
    """POST /api/v1/reports as multipart with `photos` as (filename, bytes[, mimetype]) or bytes."""
    form = {"category": "graffiti", "lat": str(MARKT[0]), "lon": str(MARKT[1]), **(data or {}), **fields}
    form = {k: v for k, v in form.items() if v is not None}
    files = []
    for p in photos:
        if isinstance(p, bytes):
            p = ("photo.jpg", p)
        name, content, *mime = p
        files.append((io.BytesIO(content), name, *(mime or ["image/jpeg"])))
    if files:
        form["photos"] = files
    return client.post("/api/v1/reports", data=form, headers=headers or {}, content_type="multipart/form-data")


def count(model):
    """How many rows the model's table has."""
    return db.session.scalar(select(func.count()).select_from(model))


def field_errors(resp):
    """{field: message} of an API error answer (which has nothing but `errors`)."""
    body = resp.get_json()
    assert set(body) == {"errors"}, body
    return {e["field"]: e["message"] for e in body["errors"]}
