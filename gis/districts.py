"""Districts: read from a file, or approximated as Voronoi cells of named centres."""
import json
from pathlib import Path

from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gis.projection import to_metric, to_wgs84


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Keep only the polygonal parts of `geom`, as a MultiPolygon."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    polys = []
    for p in parts:
        polys.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(polys)


def voronoi_districts(boundary: MultiPolygon, centres: dict[str, tuple[float, float]], srid: int):
    """Approximate districts: Voronoi cells (in metres) of `centres` (name -> (lat, lon)) clipped to the boundary."""
    boundary_m = to_metric(boundary, srid)
    names = list(centres)
    pts_m = [to_metric(Point(lon, lat), srid) for lat, lon in (centres[n] for n in names)]
    cells = voronoi_polygons(MultiPoint(pts_m), extend_to=boundary_m.envelope.buffer(1000))
    result = {}
    for name, pt in zip(names, pts_m, strict=True):
        cell = next(c for c in cells.geoms if c.covers(pt))
        clipped = as_multipolygon(cell.intersection(boundary_m))
        if not clipped.is_empty:
            result[name] = as_multipolygon(to_wgs84(clipped, srid))
    return result


def load_districts(path: str | Path, name_property: str = "name") -> dict[str, MultiPolygon]:
    """Read districts from a GeoJSON FeatureCollection: name property -> WGS84 MultiPolygon."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    result = {}
    for i, feature in enumerate(data.get("features", [])):
        name = str((feature.get("properties") or {}).get(name_property) or f"District {i + 1}")
        result[name] = as_multipolygon(shape(feature["geometry"]))
    return result
