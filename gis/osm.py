"""Read an OpenStreetMap file (.osm, .osm.bz2, .osm.pbf) with pyosmium into plain records.

Buildings are the areas libosmium assembles (closed ways and multipolygon relations) with a `building` tag;
highways are the ways with a `highway` tag, with their node ids (to find junctions) and coordinates; places
are named `place=*` nodes and areas; address points are nodes with `addr:housenumber` (OpenStreetMap often
puts a building's address on a node inside it). Whatever cannot be used is listed with its reason.
"""
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import shapely
from osmium.geom import WKBFactory
from shapely.geometry import MultiPolygon, Point, Polygon

SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")


class OsmReadError(ValueError):
    """The file cannot be read as OpenStreetMap data at all."""


@dataclass
class OsmBuilding:
    """A building footprint (WGS84) with its OSM id (w123 for a way, r123 for a relation) and tags."""

    osm_id: str
    footprint: MultiPolygon
    tags: dict[str, str]


@dataclass
class OsmWay:
    """A highway: its way id, tags, node ids and (lon, lat) coordinates in order."""

    osm_id: int
    tags: dict[str, str]
    nodes: list[int]
    coords: list[tuple[float, float]]


@dataclass
class OsmPlace:
    """A named place (place=suburb, village, square ...) at a point."""

    osm_id: str
    name: str
    kind: str
    point: Point


@dataclass
class OsmData:
    """Everything the importer uses from one file, and what it could not use as (element, reason)."""

    buildings: list[OsmBuilding] = field(default_factory=list)
    highways: list[OsmWay] = field(default_factory=list)
    places: list[OsmPlace] = field(default_factory=list)
    addresses: list[tuple[Point, dict[str, str]]] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)
    # buildings the file names, those libosmium assembled an outline for, and the rings of closed building
    # ways (to repair an outline libosmium refuses, e.g. one that crosses itself)
    building_elements: set[str] = field(default_factory=set, repr=False)
    assembled: set[str] = field(default_factory=set, repr=False)
    rings: dict[str, tuple[list, dict]] = field(default_factory=dict, repr=False)


def is_osm_file(path) -> bool:
    """Whether the file name has one of the suffixes pyosmium reads."""
    return str(path).lower().endswith(SUFFIXES)


def _tags(obj) -> dict[str, str]:
    return {t.k: t.v for t in obj.tags}


def _node(obj, data: OsmData) -> None:
    tags = _tags(obj)
    if not obj.location.valid():
        return
    point = Point(obj.location.lon, obj.location.lat)
    if tags.get("place") and tags.get("name"):
        data.places.append(OsmPlace(f"n{obj.id}", tags["name"], tags["place"], point))
    if tags.get("addr:housenumber") and "building" not in tags:
        data.addresses.append((point, tags))


def _way(obj, data: OsmData) -> None:
    tags = _tags(obj)
    if tags.get("building", "no") != "no":
        if obj.is_closed():
            data.building_elements.add(f"w{obj.id}")
            if len(obj.nodes) >= 4 and all(n.location.valid() for n in obj.nodes):
                data.rings[f"w{obj.id}"] = ([(n.location.lon, n.location.lat) for n in obj.nodes], tags)
        else:
            data.rejects.append((f"way {obj.id}", "building outline is not closed"))
    if "highway" not in tags:
        return
    if any(not n.location.valid() for n in obj.nodes):
        data.rejects.append((f"way {obj.id}", "highway with nodes missing from the file"))
        return
    if len(obj.nodes) < 2:
        data.rejects.append((f"way {obj.id}", "highway with fewer than two nodes"))
        return
    data.highways.append(OsmWay(obj.id, tags, [n.ref for n in obj.nodes],
                                [(n.location.lon, n.location.lat) for n in obj.nodes]))


def _area(obj, data: OsmData, wkb: WKBFactory) -> None:
    tags = _tags(obj)
    is_building = tags.get("building", "no") != "no"
    is_place = bool(tags.get("place") and tags.get("name"))
    if not (is_building or is_place):
        return
    osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
    try:
        geom = shapely.from_wkb(wkb.create_multipolygon(obj))
    except (RuntimeError, osmium.InvalidLocationError, shapely.errors.ShapelyError) as exc:
        if osm_id not in data.rings:  # a way's ring is repaired at the end
            data.assembled.add(osm_id)
            data.rejects.append((_element(osm_id), f"no usable outline: {exc}"))
        return
    data.assembled.add(osm_id)
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if is_place:
        data.places.append(OsmPlace(osm_id, tags["name"], tags["place"], geom.representative_point()))
    if is_building:
        data.buildings.append(OsmBuilding(osm_id, geom, tags))


def _element(osm_id: str) -> str:
    return f"{'way' if osm_id[0] == 'w' else 'relation'} {osm_id[1:]}"


def read_osm(path) -> OsmData:
    """Buildings, highways, places and address points of an OpenStreetMap file; OsmReadError if unreadable."""
    path = Path(path)
    if not is_osm_file(path):
        raise OsmReadError(f"{path.name}: use an OpenStreetMap file ({', '.join(SUFFIXES)})")
    data, wkb = OsmData(), WKBFactory()
    try:
        for obj in osmium.FileProcessor(str(path)).with_locations().with_areas():
            if obj.is_node():
                _node(obj, data)
            elif obj.is_way():
                _way(obj, data)
            elif obj.is_area():
                _area(obj, data, wkb)
            elif obj.is_relation() and obj.tags.get("building", "no") != "no" \
                    and obj.tags.get("type") == "multipolygon":
                data.building_elements.add(f"r{obj.id}")
    except RuntimeError as exc:
        raise OsmReadError(f"cannot read {path.name} as OpenStreetMap data: {exc}") from exc
    for osm_id in sorted(data.building_elements - data.assembled):
        repaired = _repaired(*data.rings[osm_id]) if osm_id in data.rings else None
        if repaired is not None:
            data.buildings.append(OsmBuilding(osm_id, repaired, data.rings[osm_id][1]))
        else:
            data.rejects.append((_element(osm_id), "building without a usable outline: nodes or member ways "
                                                   "missing from the file, or a ring that cannot be repaired"))
    return data


def _repaired(ring, _tags) -> MultiPolygon | None:
    """The polygon of a closed way that libosmium refused (e.g. it crosses itself), made valid by shapely."""
    fixed = shapely.make_valid(Polygon(ring))
    polygons = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(polygons) if polygons else None
