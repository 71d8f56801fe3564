"""Coordinate transforms between WGS84 (the API's CRS) and a city's metric CRS."""
from functools import lru_cache

from pyproj import Transformer
import shapely
from shapely.geometry.base import BaseGeometry

WGS84 = 4326


@lru_cache(maxsize=32)
def transformer(src: int, dst: int) -> Transformer:
    """A cached always-x/y (lon/lat) transformer between two EPSG codes."""
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(geom: BaseGeometry, srid: int) -> BaseGeometry:
    """Project a WGS84 geometry into the metric CRS `srid`."""
    return shapely.transform(geom, transformer(WGS84, srid).transform, interleaved=False)


def to_wgs84(geom: BaseGeometry, srid: int) -> BaseGeometry:
    """Project a geometry in the metric CRS `srid` back to WGS84."""
    return shapely.transform(geom, transformer(srid, WGS84).transform, interleaved=False)
