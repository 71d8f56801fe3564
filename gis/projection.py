"""Coordinate transforms between WGS84 (the API's CRS) and a city's metric CRS."""
from functools import lru_cache

from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

WGS84 = 4326


@lru_cache(maxsize=32)
def transformer(src: int, dst: int) -> Transformer:
    """A cached always-x/y (lon/lat) transformer between two EPSG codes."""
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(geom: BaseGeometry, srid: int) -> BaseGeometry:
    """Project a WGS84 geometry into the metric CRS `srid`."""
    return transform(transformer(WGS84, srid).transform, geom)


def to_wgs84(geom: BaseGeometry, srid: int) -> BaseGeometry:
    """Project a geometry in the metric CRS `srid` back to WGS84."""
    return transform(transformer(srid, WGS84).transform, geom)
