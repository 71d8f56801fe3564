"""The configured city: loaded once per app from configuration and synced into the database."""
from flask import current_app
from geoalchemy2.shape import from_shape
from sqlalchemy import select

from app.config import ConfigError
from app.extensions import db
from app.models import City as CityRow
from gis.city import BoundaryError, City


def init_app(app):
    """Load the city from configuration (ConfigError, early, for an unusable boundary file)."""
    c = app.config
    try:
        app.extensions["city"] = City.from_file(
            name=c["CITY_NAME"], slug=c["CITY_SLUG"], srid=c["CITY_SRID"],
            boundary_file=c["CITY_BOUNDARY_FILE"], center=c["CITY_CENTER"], zoom=c["CITY_ZOOM"],
            attribution=c["CITY_ATTRIBUTION"], timezone=c["CITY_TIMEZONE"], holidays=c["CITY_HOLIDAYS"],
        )
    except BoundaryError as exc:
        raise ConfigError("CITY_BOUNDARY_FILE", c["CITY_BOUNDARY_FILE"],
                          f"use a GeoJSON file with the city's polygon in WGS84 ({exc})") from exc


def current_city() -> City:
    """The city this app serves."""
    return current_app.extensions["city"]


def sync_city_row() -> CityRow:
    """Insert or update the `cities` row from configuration; the metric CRS of all `*_m` columns."""
    city = current_city()
    row = db.session.scalar(select(CityRow).where(CityRow.slug == city.slug))
    if row is None:
        row = CityRow(slug=city.slug)
        db.session.add(row)
    row.name = city.name
    row.srid = city.srid
    row.boundary = from_shape(city.boundary, srid=4326)
    row.center_lat, row.center_lon = city.center
    row.zoom = city.zoom
    row.attribution = city.attribution
    db.session.flush()
    return row


def city_id() -> int:
    """The database id of the configured city, syncing the row on first use."""
    slug = current_city().slug
    cid = db.session.scalar(select(CityRow.id).where(CityRow.slug == slug))
    return cid if cid is not None else sync_city_row().id
