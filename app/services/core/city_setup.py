"""Syncing the configured city and its districts into the database."""
import json
from pathlib import Path

from flask import current_app
from geoalchemy2.shape import from_shape
from sqlalchemy import select, text

from app.city import current_city, sync_city_row
from app.extensions import db
from app.models import City as CityRow
from app.models import District
from gis.districts import load_districts, voronoi_districts


def configured_districts() -> dict:
    """The districts from CITY_DISTRICTS_FILE, else approximate ones from a centres file beside the boundary."""
    city = current_city()
    path = current_app.config["CITY_DISTRICTS_FILE"]
    if path:
        return load_districts(path)
    centres_file = Path(current_app.config["CITY_BOUNDARY_FILE"]).with_name("district_centres.json")
    if not centres_file.exists():
        return {}
    raw = json.loads(centres_file.read_text(encoding="utf-8"))
    centres = {k: tuple(v) for k, v in raw.items() if not k.startswith("_")}
    return voronoi_districts(city.boundary, centres, city.srid)


def sync_city_and_districts() -> tuple[CityRow, int]:
    """Write the city row and replace its districts when they changed; returns (row, district count)."""
    row = sync_city_row()
    wanted = configured_districts()
    existing = {d.name: d for d in db.session.scalars(select(District).where(District.city_id == row.id))}
    for name in set(existing) - set(wanted):
        db.session.delete(existing[name])
    for name, geom in wanted.items():
        district = existing.get(name) or District(city_id=row.id, name=name)
        district.geom = from_shape(geom, srid=4326)
        db.session.add(district)
    db.session.flush()
    return row, len(wanted)


def assign_districts() -> None:
    """Link buildings and reports without a district to the district containing them."""
    db.session.execute(text(
        "UPDATE buildings b SET district_id = d.id FROM districts d "
        "WHERE b.district_id IS NULL AND ST_Intersects(d.geom_m, ST_PointOnSurface(b.footprint_m))"))
    db.session.execute(text(
        "UPDATE reports r SET district_id = d.id FROM districts d "
        "WHERE r.district_id IS NULL AND ST_Intersects(d.geom_m, r.location_m)"))
