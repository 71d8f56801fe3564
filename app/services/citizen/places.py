"""Address search for placing the pin: places, streets and buildings, each with its district, de-duplicated.

Each kind of place is a `PlaceSource`: an SQL query over one table, used when that table exists. Adding a
kind (for example the streets and places imported from OpenStreetMap) is one more entry in `PLACE_SOURCES`
(or `register_place_source`): a query that takes the ILIKE pattern `:p`, the prefix pattern `:start` and
`:limit`, and returns the columns `label`, `district`, `lat`, `lon` and `starts` (whether the name starts with
the text; those come first).
"""
from dataclasses import dataclass

from sqlalchemy import text

from app.extensions import db
from app.services.citizen.validation import CONTROL

MIN_QUERY = 3
RESULTS = 8
# A house number (with a letter, a range "3-5" or "3/1") and whatever follows it: "Kaiserstraße 10a, Heilbronn"
# is on the street "Kaiserstraße".
HOUSE_NUMBER_SQL = r"'\s+\d+\s*[[:alpha:]]?(\s*[-/]\s*\d+\s*[[:alpha:]]?)?\s*(,.*)?$'"
# A building's district: as stored, else the district its footprint lies in (imports may not have set it yet).
DISTRICT_OF_BUILDING = """COALESCE(b.district_id, (SELECT x.id FROM districts x
    WHERE ST_Intersects(x.geom_m, ST_PointOnSurface(b.footprint_m)) ORDER BY x.id LIMIT 1))"""


@dataclass(frozen=True)
class PlaceSource:
    """One kind of place the address search finds, read from `table` (skipped while the table is missing)."""

    kind: str
    table: str
    sql: str


DISTRICTS = PlaceSource("district", "districts", """
    SELECT d.name AS label, NULL AS district, ST_Y(s.pt) AS lat, ST_X(s.pt) AS lon, d.name ILIKE :start AS starts
    FROM districts d CROSS JOIN LATERAL (SELECT ST_PointOnSurface(d.geom) AS pt) s
    WHERE d.name ILIKE :p ORDER BY (d.name ILIKE :start) DESC, d.name LIMIT :limit""")

# Streets as the building register knows them: the buildings' addresses without house numbers, per district,
# placed at the middle of their buildings.
STREETS_OF_BUILDINGS = PlaceSource("street", "buildings", f"""
    SELECT m.street AS label, d.name AS district, ST_Y(ST_Centroid(ST_Collect(m.pt))) AS lat,
           ST_X(ST_Centroid(ST_Collect(m.pt))) AS lon, m.street ILIKE :start AS starts
    FROM (SELECT regexp_replace(b.address, {HOUSE_NUMBER_SQL}, '') AS street, {DISTRICT_OF_BUILDING} AS district_id,
                 ST_PointOnSurface(b.footprint) AS pt
          FROM buildings b WHERE b.address ILIKE :p) m
    LEFT JOIN districts d ON d.id = m.district_id
    WHERE m.street ILIKE :p AND m.street <> ''
    GROUP BY m.street, d.name
    ORDER BY (m.street ILIKE :start) DESC, m.street, d.name LIMIT :limit""")

BUILDINGS = PlaceSource("building", "buildings", f"""
    SELECT * FROM (
      SELECT DISTINCT ON (lower(concat_ws(', ', b.name, b.address)), d.name)
             concat_ws(', ', b.name, b.address) AS label, d.name AS district, ST_Y(s.pt) AS lat, ST_X(s.pt) AS lon,
             (b.address ILIKE :start OR b.name ILIKE :start) AS starts
      FROM buildings b LEFT JOIN districts d ON d.id = {DISTRICT_OF_BUILDING}
      CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.footprint) AS pt) s
      WHERE b.address ILIKE :p OR b.name ILIKE :p
      ORDER BY lower(concat_ws(', ', b.name, b.address)), d.name, b.id) u
    ORDER BY starts DESC, label, district LIMIT :limit""")

# Named places and streets imported from OpenStreetMap (`flask import-osm`): a street drawn as many ways is
# one entry per district, placed at the middle of its longest way.
OSM_PLACES = PlaceSource("place", "places", """
    SELECT * FROM (
      SELECT DISTINCT ON (lower(p.name), d.name) p.name AS label, d.name AS district, ST_Y(p.geom) AS lat,
             ST_X(p.geom) AS lon, p.name ILIKE :start AS starts
      FROM places p LEFT JOIN LATERAL (
        SELECT x.name FROM districts x WHERE ST_Intersects(x.geom_m, p.geom_m) ORDER BY x.id LIMIT 1) d ON true
      WHERE p.name ILIKE :p ORDER BY lower(p.name), d.name, p.id) u
    ORDER BY starts DESC, label, district LIMIT :limit""")

OSM_STREETS = PlaceSource("street", "streets", """
    SELECT * FROM (
      SELECT DISTINCT ON (lower(s.name), d.name) s.name AS label, d.name AS district, ST_Y(m.pt) AS lat,
             ST_X(m.pt) AS lon, s.name ILIKE :start AS starts
      FROM streets s CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(s.geom, 0.5) AS pt,
                                                ST_LineInterpolatePoint(s.geom_m, 0.5) AS pt_m) m
      LEFT JOIN LATERAL (
        SELECT x.name FROM districts x WHERE ST_Intersects(x.geom_m, m.pt_m) ORDER BY x.id LIMIT 1) d ON true
      WHERE s.name ILIKE :p ORDER BY lower(s.name), d.name, ST_Length(s.geom_m) DESC, s.id) u
    ORDER BY starts DESC, label, district LIMIT :limit""")

PLACE_SOURCES: list[PlaceSource] = [DISTRICTS, OSM_PLACES, OSM_STREETS, STREETS_OF_BUILDINGS, BUILDINGS]


def register_place_source(source: PlaceSource, before: str | None = None) -> None:
    """Add a kind of place to the search (before the first source of kind `before`, else at the end)."""
    if source in PLACE_SOURCES:
        return
    kinds = [s.kind for s in PLACE_SOURCES]
    PLACE_SOURCES.insert(kinds.index(before) if before in kinds else len(PLACE_SOURCES), source)


def _existing_tables(names: set[str]) -> set[str]:
    return set(db.session.scalars(text(
        "SELECT name FROM unnest(CAST(:names AS text[])) AS name WHERE to_regclass(name) IS NOT NULL"),
        {"names": sorted(names)}))


def search_places(query: str, limit: int = RESULTS) -> list[dict]:
    """Places, streets and buildings whose name contains `query` (at least 3 characters), each once per
    district: those starting with it first, then in the order of `PLACE_SOURCES`."""
    q = CONTROL.sub("", query or "").strip()[:100]
    if len(q) < MIN_QUERY:
        return []
    escaped = q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    params = {"p": f"%{escaped}%", "start": f"{escaped}%", "limit": limit}
    tables = _existing_tables({s.table for s in PLACE_SOURCES})
    found, seen = [], set()
    for order, source in enumerate(s for s in PLACE_SOURCES if s.table in tables):
        for r in db.session.execute(text(source.sql), params):
            key = (r.label.casefold(), (r.district or "").casefold())
            if r.label and key not in seen and r.lat is not None:
                seen.add(key)
                found.append((not r.starts, order, len(found), {
                    "label": r.label, "kind": source.kind, "district": r.district,
                    "lat": round(r.lat, 7), "lon": round(r.lon, 7)}))
    return [hit for *_rank, hit in sorted(found, key=lambda f: f[:3])][:limit]
