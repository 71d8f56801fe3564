"""Import the building registry from GeoJSON or GeoPackage, idempotent by the external id."""
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select

from app.city import current_city
from app.extensions import db
from app.models import OWNER_TYPES, Building
from app.services.core.city_setup import assign_districts
from app.services.staff.importers import files

log = logging.getLogger(__name__)


@dataclass
class BuildingMapping:
    """Which attribute holds what, and how owner values map to owner types."""

    id_field: str = "id"
    address_field: str | None = "address"
    name_field: str | None = "name"
    owner_field: str | None = "owner_type"
    department_field: str | None = "department"
    usage_field: str | None = None
    owner_values: dict[str, str] = field(default_factory=dict)  # e.g. {"Stadt": "municipal"}
    default_owner: str = "private"
    crs: int = 4326
    layer: str | None = None


def import_buildings(path, mapping: BuildingMapping, progress=files.no_progress) -> files.ImportResult:
    """Insert or update buildings by external id; features that cannot be used are rejected with a reason."""
    path = Path(path)
    if mapping.default_owner not in OWNER_TYPES:
        raise files.ImportError_(f"--default-owner must be one of {', '.join(OWNER_TYPES)}")
    crs = mapping.crs
    if path.suffix.lower() == ".gpkg" and crs == 4326:
        crs = files.gpkg_srs(path, mapping.layer) or 4326
    to_wgs84 = files.wgs84_transformer(crs)
    area = current_city().boundary
    features = list(files.read_features(path, mapping.layer))
    existing = dict(db.session.execute(select(Building.external_id, Building.id)).all())
    seen: dict = {}

    def store(props, geom, n) -> bool:
        ext = files.new_external_id(props, mapping.id_field, seen, "attribute", n, "feature")
        values = _building_values(props, _footprint(geom, to_wgs84, area), mapping)
        if ext in existing:
            db.session.execute(Building.__table__.update().where(Building.id == existing[ext]).values(**values))
            return False
        db.session.add(Building(external_id=ext[:200], **values))
        return True

    result = files.import_records(features, store, progress)
    assign_districts()
    log.info("buildings import %s: %s", path.name, result.summary())
    return result


def _as_multipolygon(geom) -> MultiPolygon | None:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    return None


def _footprint(geom, to_wgs84, area) -> MultiPolygon:
    """The feature's polygon in WGS84, repaired when invalid; Rejected when it is none or not in the city."""
    poly = _as_multipolygon(geom)
    if poly is None:
        raise files.Rejected(f"geometry is a {geom.geom_type}, not a polygon")
    if to_wgs84 is not None:
        poly = shapely.transform(poly, to_wgs84.transform, interleaved=False)
    if not poly.is_valid:
        poly = _as_multipolygon(shapely.make_valid(poly))
        if poly is None or poly.is_empty:
            raise files.Rejected("invalid polygon that cannot be repaired")
    minx, miny, maxx, maxy = poly.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise files.Rejected("coordinates are not longitude/latitude; pass --crs")
    if not area.intersects(poly):
        raise files.Rejected("outside the city boundary")
    return poly


def _building_values(props: dict, poly: MultiPolygon, mapping: BuildingMapping) -> dict:
    """The building's columns from the feature's attributes; Rejected for an owner value that is not mapped."""
    owner = files.mapped(files.prop(props, mapping.owner_field), mapping.owner_values, OWNER_TYPES,
                         mapping.default_owner,
                         "owner value {raw!r} is not mapped to " + ", ".join(OWNER_TYPES) + " (use --owner-map)")
    values = {"address": files.prop(props, mapping.address_field), "name": files.prop(props, mapping.name_field),
              "department": files.prop(props, mapping.department_field),
              "usage": files.prop(props, mapping.usage_field),
              "owner_type": owner, "footprint": from_shape(poly, srid=4326),
              "updated_at": datetime.now(UTC), "district_id": None}
    for k in ("address", "name", "department", "usage"):
        if values[k] is not None:
            values[k] = values[k][:300 if k != "usage" else 64]
    return values
