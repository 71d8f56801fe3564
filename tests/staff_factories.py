"""Small helpers to create buildings and reports for the staff tests."""
import secrets
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box

from app.extensions import db
from app.models import Building, Report
from app.services.core import workflow
from app.services.staff import triage

# Points inside Heilbronn (lat, lon)
MARKT = (49.1418, 9.2185)


def make_building(lat=MARKT[0], lon=MARKT[1], owner_type="municipal", address="Marktplatz 1", external_id=None):
    """A 20 m x 20 m building around (lat, lon)."""
    d = 0.00009
    b = Building(external_id=external_id or f"t-{secrets.token_hex(4)}", address=address, owner_type=owner_type,
                 footprint=from_shape(MultiPolygon([box(lon - d, lat - d, lon + d, lat + d)]), srid=4326))
    db.session.add(b)
    db.session.flush()
    return b


def make_report(building=None, lat=None, lon=None, status="new", category="graffiti", offensive=False,
                created_at=None, description=None, **extra):
    """A report (with its creation event) at the building or the given point, moved along to `status`."""
    created_at = created_at or datetime.now(UTC) - timedelta(hours=2)
    if building is not None and lat is None:
        from geoalchemy2.shape import to_shape

        c = to_shape(building.footprint).centroid
        lat, lon = c.y, c.x
    lat, lon = lat or MARKT[0], lon or MARKT[1]
    r = Report(token=secrets.token_urlsafe(16), category=category, offensive=offensive, status="new",
               location=f"SRID=4326;POINT({lon} {lat})", building_id=building.id if building else None,
               created_at=created_at, updated_at=created_at, description=description, **extra)
    db.session.add(r)
    db.session.flush()
    db.session.refresh(r)
    triage.classify_new_report(r)
    workflow.record_creation(r, at=created_at)
    path = {"new": [], "verified": ["verified"], "scheduled": ["verified", "scheduled"],
            "removed": ["verified", "scheduled", "removed"], "closed": ["verified", "scheduled", "removed", "closed"],
            "notify_owner": ["verified", "notify_owner"], "rejected": ["rejected"]}[status]
    for step in path:
        workflow.change_status(r, step, None)
    db.session.flush()
    return r
