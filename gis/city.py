"""A city as configuration: name, boundary, metric CRS, map centre and zoom, time zone and holiday calendar."""
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gis.holidays import check_region
from gis.projection import to_metric

DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_HOLIDAYS = "DE-BW"  # Baden-Württemberg


class BoundaryError(ValueError):
    """The boundary file cannot be used as a city boundary."""


class CityConfigError(ValueError):
    """A city setting other than the boundary is unusable."""


def check_timezone(name: str) -> str:
    """An IANA time zone name (e.g. Europe/Berlin); CityConfigError if there is no such zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CityConfigError(f"unknown time zone '{name}'; use an IANA name such as Europe/Berlin") from exc
    return name


def load_boundary(path: str | Path) -> MultiPolygon:
    """Read a GeoJSON file (Feature, FeatureCollection or bare geometry) as one WGS84 MultiPolygon."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"cannot read city boundary {path}: {exc}") from exc
    if data.get("type") == "FeatureCollection":
        geoms = [shape(f["geometry"]) for f in data.get("features", []) if f.get("geometry")]
    elif data.get("type") == "Feature":
        geoms = [shape(data["geometry"])]
    else:
        geoms = [shape(data)]
    polygons: list[Polygon] = []
    for geom in geoms:
        if isinstance(geom, Polygon):
            polygons.append(geom)
        elif isinstance(geom, MultiPolygon):
            polygons.extend(geom.geoms)
    if not polygons:
        raise BoundaryError(f"{path} holds no polygon")
    boundary = MultiPolygon(polygons)
    if not boundary.is_valid:
        boundary = boundary.buffer(0)
        if isinstance(boundary, Polygon):
            boundary = MultiPolygon([boundary])
    minx, miny, maxx, maxy = boundary.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError(f"{path} is not in WGS84 longitude/latitude")
    return boundary


@dataclass(frozen=True)
class City:
    """The configured city; geometry in WGS84 plus its metric CRS."""

    name: str
    slug: str
    srid: int
    boundary: MultiPolygon
    center: tuple[float, float]  # (lat, lon), as Leaflet wants it
    zoom: int = 13
    attribution: str = ""
    timezone: str = DEFAULT_TIMEZONE  # IANA name: calendar days, weekday/hour filters, deadlines
    holidays: str = DEFAULT_HOLIDAYS  # region (gis.holidays: DE-BW, US-NY ...) whose public holidays are days off
    _prepared: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_file(cls, name, slug, srid, boundary_file, center=None, zoom=13, attribution="",
                  timezone=DEFAULT_TIMEZONE, holidays=DEFAULT_HOLIDAYS):
        """Build a City from a boundary file; the centre defaults to the boundary's representative point.
        BoundaryError / CityConfigError say what is wrong with the settings."""
        try:
            holidays = check_region(holidays)
        except ValueError as exc:
            raise CityConfigError(str(exc)) from exc
        timezone = check_timezone(timezone)
        boundary = load_boundary(boundary_file)
        if center is None:
            rp = boundary.representative_point()
            center = (rp.y, rp.x)
        return cls(name, slug, int(srid), boundary, (float(center[0]), float(center[1])), int(zoom), attribution,
                   timezone, holidays)

    @property
    def boundary_metric(self) -> BaseGeometry:
        """The boundary in the city's metric CRS."""
        return to_metric(self.boundary, self.srid)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether a WGS84 position lies inside the city boundary (or on it)."""
        if self._prepared is None:
            prepared = shapely.from_wkb(self.boundary.wkb)  # a prepared copy (asked on every report)
            shapely.prepare(prepared)
            object.__setattr__(self, "_prepared", prepared)
        return bool(shapely.intersects_xy(self._prepared, lon, lat))
