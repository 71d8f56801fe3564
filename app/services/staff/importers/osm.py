"""Import buildings, streets (with the crews' street network) and places from an OpenStreetMap file.

Idempotent by OSM id: a re-import updates what changed and leaves the rest as it is. Elements outside the
city boundary or without a usable geometry are listed with their reason (the rejects file).
"""
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import shapely
from flask import current_app
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import LineString, MultiPolygon
from sqlalchemy import delete, func, select

from app.city import current_city
from app.extensions import db
from app.models import Building
from app.models_osm import OsmImport, Place, Street, StreetEdge
from app.services.core.city_setup import assign_districts
from app.services.staff.importers import files
from gis import osm_tags
from gis.holidays import country_of
from gis.osm import OsmData, OsmReadError, read_osm
from gis.streets import split_ways

log = logging.getLogger(__name__)


@dataclass
class OsmImportResult:
    """Counts per kind of element and the rejected elements as (element, reason)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def count(self, kind: str, what: str) -> None:
        """Count one `what` (created, updated, unchanged) of a `kind` (buildings, streets, places)."""
        self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[what] += 1

    def summary(self) -> str:
        """One line for the command line."""
        parts = [f"{kind}: " + ", ".join(f"{n} {what}" for what, n in c.items()) for kind, c in self.counts.items()]
        return "; ".join(parts + [f"{len(self.rejected)} rejected"])


def read_file(path) -> OsmData:
    """The file's buildings, highways and places; ImportError_ when it is no readable OpenStreetMap file."""
    try:
        return read_osm(Path(path))
    except OsmReadError as exc:
        raise files.ImportError_(str(exc)) from exc


def element_count(data: OsmData) -> int:
    """How many elements import_osm stores or rejects one by one (for a progress bar)."""
    return len(data.buildings) + len(data.highways) + len(data.places)


def import_osm(data: OsmData, filename: str, progress=files.no_progress) -> OsmImportResult:
    """Insert or update the buildings, streets and places read from a file, by OSM id."""
    result = OsmImportResult(rejected=list(data.rejects))
    boundary = current_city().boundary
    shapely.prepare(boundary)
    _assign_address_points(data)
    _store_buildings(data.buildings, boundary, result, progress)
    changed = _store_streets(data.highways, boundary, result, progress)
    if changed:
        _rebuild_edges(data.highways)
    _store_places(data.places, boundary, result, progress)
    db.session.add(OsmImport(filename=filename, counts={**result.counts, "rejected": len(result.rejected)}))
    db.session.flush()
    assign_districts()
    log.info("OpenStreetMap import %s: %s", filename, result.summary())
    return result


def _assign_address_points(data) -> None:
    """Give a building without an address the address of the one address node inside it."""
    if not data.addresses or not data.buildings:
        return
    tree = shapely.STRtree([b.footprint for b in data.buildings])
    inside: dict[int, list] = {}
    for point, tags in data.addresses:
        for i in tree.query(point, predicate="within"):
            inside.setdefault(int(i), []).append(tags)
    for i, found in inside.items():
        b = data.buildings[i]
        if len(found) == 1 and osm_tags.address(b.tags) is None:
            b.tags = {**b.tags, **{k: v for k, v in found[0].items() if k.startswith("addr:")}}


def _outside(osm_element: str, geom, boundary, result) -> bool:
    if boundary.intersects(geom):
        return False
    result.rejected.append((osm_element, "outside the city boundary"))
    return True


def _upsert(model, key_col: str, key, values: dict, existing: dict, same, kind: str, result) -> int:
    """Insert or update one row by its OSM id; counts created, updated or unchanged. Returns the row id."""
    old = existing.get(key)
    if old is None:
        row = model(**{key_col: key}, **values)
        db.session.add(row)
        db.session.flush()
        result.count(kind, "created")
        return row.id
    if same(old, values):
        result.count(kind, "unchanged")
        return old.id
    db.session.execute(model.__table__.update().where(model.id == old.id).values(**values))
    result.count(kind, "updated")
    return old.id


def _same(old, values: dict, geom_col: str) -> bool:
    if any(getattr(old, k) != v for k, v in values.items() if k not in (geom_col, "updated_at", "district_id")):
        return False
    return shapely.equals_exact(to_shape(getattr(old, geom_col)), to_shape(values[geom_col]), tolerance=1e-9)


def _store_buildings(buildings, boundary, result, progress) -> None:
    rules = osm_tags.parse_owner_rules(current_app.config["OSM_OWNER_RULES"])
    number_first = country_of(current_city().holidays) in osm_tags.NUMBER_FIRST
    existing = {b.osm_id: b for b in db.session.scalars(select(Building).where(Building.osm_id.is_not(None)))}
    for b in buildings:
        progress(1)
        element = f"{'way' if b.osm_id[0] == 'w' else 'relation'} {b.osm_id[1:]}"
        footprint = b.footprint if b.footprint.is_valid else shapely.make_valid(b.footprint)
        if not isinstance(footprint, MultiPolygon):
            polys = [g for g in getattr(footprint, "geoms", [footprint]) if g.geom_type == "Polygon"]
            if not polys:
                result.rejected.append((element, "outline is not a polygon and cannot be repaired"))
                continue
            footprint = MultiPolygon(polys)
        if _outside(element, footprint, boundary, result):
            continue
        usage = b.tags.get("building") if b.tags.get("building") not in ("yes", None) else None
        values = {"name": (b.tags.get("name") or None), "address": osm_tags.address(b.tags, number_first),
                  "owner_type": osm_tags.owner_type(b.tags, rules), "usage": usage and usage[:64],
                  "footprint": from_shape(footprint, srid=4326), "updated_at": datetime.now(UTC), "district_id": None}
        _upsert(Building, "osm_id", b.osm_id, values, existing, lambda o, v: _same(o, v, "footprint"),
                "buildings", result)


def _store_streets(highways, boundary, result, progress) -> bool:
    """Streets by way id; True when any routable street was created or changed (the network needs a rebuild)."""
    existing = {s.osm_id: s for s in db.session.scalars(select(Street))}
    before = dict(result.counts.get("streets", {}))
    for w in highways:
        progress(1)
        line = LineString(w.coords)
        if _outside(f"way {w.osm_id}", line, boundary, result):
            continue
        t = w.tags
        values = {"name": t.get("name"), "ref": (t.get("ref") or None) and t["ref"][:100], "highway": t["highway"][:64],
                  "oneway": osm_tags.oneway(t), "speed_kmh": osm_tags.speed_kmh(t),
                  "routable": osm_tags.is_routable(t), "geom": from_shape(line, srid=4326)}
        _upsert(Street, "osm_id", w.osm_id, values, existing, lambda o, v: _same(o, v, "geom"), "streets", result)
    after = result.counts.get("streets", {})
    return any(after.get(k, 0) != before.get(k, 0) for k in ("created", "updated")) or \
        not db.session.scalar(select(func.count()).select_from(StreetEdge))


def _rebuild_edges(highways) -> None:
    """The network's edges: the routable streets of this file cut at their junctions."""
    in_file = {w.osm_id for w in highways}
    rows = db.session.execute(select(Street.osm_id, Street.id, Street.routable)).all()
    ids = {osm_id: sid for osm_id, sid, _ in rows if osm_id in in_file}
    routable = {osm_id for osm_id, _, r in rows if r and osm_id in in_file}
    db.session.execute(delete(StreetEdge).where(StreetEdge.street_id.in_(list(ids.values()))))
    ways = [w for w in highways if w.osm_id in routable]
    edges = [{"street_id": ids[ways[w].osm_id], "source": s, "target": t,
              "geom": f"SRID=4326;{LineString(coords).wkt}"}
             for w, s, t, coords in split_ways([(w.nodes, w.coords) for w in ways])]
    if edges:
        db.session.execute(StreetEdge.__table__.insert(), edges)


def _store_places(places, boundary, result, progress) -> None:
    existing = {p.osm_id: p for p in db.session.scalars(select(Place))}
    for p in places:
        progress(1)
        if _outside(f"place {p.osm_id}", p.point, boundary, result):
            continue
        values = {"name": p.name[:300], "kind": p.kind[:64], "geom": from_shape(p.point, srid=4326)}
        _upsert(Place, "osm_id", p.osm_id, values, existing, lambda o, v: _same(o, v, "geom"), "places", result)
