"""The configured city: loaded once per app from configuration and synced into the database."""
from flask import current_app
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select, text

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


# Every table with a metric copy of its geometry: (table, WGS84 column, metric column).
METRIC_COLUMNS = (("districts", "geom", "geom_m"), ("buildings", "footprint", "footprint_m"),
                  ("reports", "location", "location_m"), ("streets", "geom", "geom_m"),
                  ("street_edges", "geom", "geom_m"), ("places", "geom", "geom_m"))


class OtherCityError(RuntimeError):
    """The database holds another city's data: one deployment serves one city."""


def _data_counts() -> dict[str, int]:
    return {t: db.session.scalar(select(func.count()).select_from(text(t)))
            for t in ("reports", "buildings", "streets")}


def _refuse_other_city(other: CityRow, city: City) -> None:
    """OtherCityError unless the other city's database holds no reports, buildings or streets yet."""
    counts = _data_counts()
    if any(counts.values()):
        held = ", ".join(f"{n} {t}" for t, n in counts.items())
        raise OtherCityError(
            f"this database holds the city {other.name} (CITY_SLUG={other.slug}, {held}), but this deployment is "
            f"configured for {city.name} (CITY_SLUG={city.slug}); one deployment serves one city: give "
            f"{city.name} its own database (DATABASE_URL) or set CITY_SLUG={other.slug}; nothing was changed")


def move_metric_columns(srid: int) -> None:
    """Compute every metric column again in the CRS `srid` (the city's CRS changed)."""
    for table, src, dst in METRIC_COLUMNS:
        db.session.execute(text(f"UPDATE {table} SET {dst} = ST_Transform({src}, :srid)"), {"srid": srid})


def sync_city_row() -> CityRow:
    """Insert or update the one `cities` row from configuration; the metric CRS of all `*_m` columns.

    A database that holds another city with data is refused (OtherCityError); an empty one is taken over.
    When the CRS changed, every metric column is computed again in the new one."""
    city = current_city()
    row = db.session.scalar(select(CityRow))
    if row is not None and row.slug != city.slug:
        _refuse_other_city(row, city)
        row.slug = city.slug
    if row is None:
        row = CityRow(slug=city.slug)
        db.session.add(row)
    moved = row.srid is not None and row.srid != city.srid
    row.name = city.name
    row.srid = city.srid
    row.boundary = from_shape(city.boundary, srid=4326)
    row.center_lat, row.center_lon = city.center
    row.zoom = city.zoom
    row.attribution = city.attribution
    db.session.flush()
    if moved:
        move_metric_columns(city.srid)
    return row


def city_id() -> int:
    """The database id of the configured city, syncing the row on first use."""
    slug = current_city().slug
    cid = db.session.scalar(select(CityRow.id).where(CityRow.slug == slug))
    return cid if cid is not None else sync_city_row().id
