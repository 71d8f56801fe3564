"""Importers: the building registry (GeoJSON/GeoPackage) and historical reports (CSV/GeoJSON).

Both are idempotent by an external id (a re-import updates instead of duplicating), report progress through a
callback and collect every rejected feature/row with its number and reason.
"""
import csv
import json
import logging
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import shapely
from flask import current_app
from geoalchemy2.shape import from_shape
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon, shape
from sqlalchemy import select, text

from app.city import current_city
from app.extensions import db
from app.models import CATEGORIES, OWNER_TYPES, STATUSES, Building, Report, StatusEvent
from app.services.core.city_setup import assign_districts
from app.services.core.sla import removal_target, targets_from_config
from app.services.core.workflow import RETAG_WINDOW
from gis.projection import transformer

log = logging.getLogger(__name__)
BATCH = 500


class ImportError_(ValueError):
    """The file or the options cannot be used at all (nothing is imported)."""


@dataclass
class ImportResult:
    """Counts of an import and the rejected records as (number, reason)."""

    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the command line."""
        return f"{self.created} created, {self.updated} updated, {len(self.rejected)} rejected"


def _noop(*_args, **_kwargs):
    return None


# --------------------------------------------------------------------------- buildings

@dataclass
class BuildingMapping:
    """Which attribute holds what, and how owner values map to owner types."""

    id_field: str = "id"
    address_field: str | None = "address"
    name_field: str | None = "name"
    owner_field: str | None = "owner_type"
    department_field: str | None = "department"
    usage_field: str | None = None
    owner_values: dict[str, str] = field(default_factory=dict)  # e.g. {"Stadt": "municipal"}
    default_owner: str = "private"
    crs: int = 4326
    layer: str | None = None


def parse_value_map(text_: str | None, allowed=None, option="--owner-map") -> dict[str, str]:
    """'Stadt=municipal,Land=public' -> {'stadt': 'municipal', ...} (keys compared case-insensitively)."""
    result = {}
    for part in (text_ or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ImportError_(f"{option}: '{part}' is not VALUE=TARGET")
        key, value = (p.strip() for p in part.split("=", 1))
        if allowed is not None and value not in allowed:
            raise ImportError_(f"{option}: '{value}' is not one of {', '.join(allowed)}")
        result[key.lower()] = value
    return result


def read_features(path: Path, layer: str | None = None):
    """(number, properties, shapely geometry or None, problem) for each feature of a GeoJSON or GeoPackage file."""
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        yield from _read_gpkg(path, layer)
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportError_(f"cannot read {path} as GeoJSON: {exc}") from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise ImportError_(f"{path} is not a GeoJSON FeatureCollection")
    for i, f in enumerate(features, start=1):
        props = (f or {}).get("properties") or {}
        geom, problem = None, None
        try:
            geom = shape(f["geometry"]) if f.get("geometry") else None
            if geom is None:
                problem = "no geometry"
        except Exception as exc:  # noqa: BLE001 - any broken geometry is a rejected feature, not a crash
            problem = f"unreadable geometry: {exc}"
        yield i, props, geom, problem


def _gpkg_geometry(blob: bytes):
    """Decode a GeoPackage geometry blob (header + WKB)."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags >> 1) & 0x07)
    if envelope is None:
        raise ValueError("bad envelope code")
    if flags & 0x10:  # empty geometry
        return None
    return shapely.from_wkb(blob[8 + envelope:])


def _read_gpkg(path: Path, layer: str | None):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = conn.execute("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns").fetchall()
    except sqlite3.Error as exc:
        raise ImportError_(f"cannot read {path} as GeoPackage: {exc}") from exc
    if not tables:
        raise ImportError_(f"{path} has no feature table")
    match = [t for t in tables if layer is None or t[0] == layer]
    if not match:
        raise ImportError_(f"{path} has no layer {layer!r}; layers: {', '.join(t[0] for t in tables)}")
    table, geom_col, _srs = match[0]
    cur = conn.execute(f'SELECT * FROM "{table}"')  # table name comes from the file's own catalogue
    names = [d[0] for d in cur.description]
    for i, row in enumerate(cur, start=1):
        props = {k: v for k, v in zip(names, row) if k != geom_col}
        try:
            geom = _gpkg_geometry(row[names.index(geom_col)])
            yield i, props, geom, None if geom is not None else "no geometry"
        except Exception as exc:  # noqa: BLE001
            yield i, props, None, f"unreadable geometry: {exc}"
    conn.close()


def gpkg_srs(path: Path, layer: str | None = None) -> int | None:
    """The EPSG code of a GeoPackage layer, when it says so."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns").fetchall()
    finally:
        conn.close()
    for name, srs in rows:
        if layer is None or name == layer:
            return int(srs) if srs and srs > 0 else None
    return None


def _as_multipolygon(geom) -> MultiPolygon | None:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    return None


def _prop(props: dict, name: str | None):
    if not name:
        return None
    value = props.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def import_buildings(path, mapping: BuildingMapping, progress=_noop) -> ImportResult:
    """Insert or update buildings by external id; features that cannot be used are rejected with a reason."""
    path = Path(path)
    if mapping.default_owner not in OWNER_TYPES:
        raise ImportError_(f"--default-owner must be one of {', '.join(OWNER_TYPES)}")
    crs = mapping.crs
    if path.suffix.lower() == ".gpkg" and crs == 4326:
        crs = gpkg_srs(path, mapping.layer) or 4326
    try:
        to_wgs84 = transformer(crs, 4326) if crs != 4326 else None
    except CRSError as exc:
        raise ImportError_(f"unknown CRS EPSG:{crs}: {exc}") from exc
    city = current_city()
    area = city.boundary
    result = ImportResult()
    features = list(read_features(path, mapping.layer))
    existing = dict(db.session.execute(select(Building.external_id, Building.id)).all())
    seen = set()
    for n, props, geom, problem in features:
        progress(1)
        if problem:
            result.rejected.append((n, problem))
            continue
        ext = _prop(props, mapping.id_field)
        if not ext:
            result.rejected.append((n, f"no external id in attribute '{mapping.id_field}'"))
            continue
        if ext in seen:
            result.rejected.append((n, f"external id {ext!r} appears twice in the file"))
            continue
        poly = _as_multipolygon(geom)
        if poly is None:
            result.rejected.append((n, f"geometry is a {geom.geom_type}, not a polygon"))
            continue
        if to_wgs84 is not None:
            poly = shapely.transform(poly, to_wgs84.transform, interleaved=False)
        if not poly.is_valid:
            fixed = _as_multipolygon(shapely.make_valid(poly))
            if fixed is None or fixed.is_empty:
                result.rejected.append((n, "invalid polygon that cannot be repaired"))
                continue
            poly = fixed
        minx, miny, maxx, maxy = poly.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            result.rejected.append((n, "coordinates are not longitude/latitude; pass --crs"))
            continue
        if not area.intersects(poly):
            result.rejected.append((n, "outside the city boundary"))
            continue
        raw_owner = _prop(props, mapping.owner_field)
        owner = mapping.default_owner
        if raw_owner is not None:
            owner = mapping.owner_values.get(raw_owner.lower(), raw_owner.lower())
            if owner not in OWNER_TYPES:
                result.rejected.append((n, f"owner value {raw_owner!r} is not mapped to {', '.join(OWNER_TYPES)} "
                                           "(use --owner-map)"))
                continue
        seen.add(ext)
        values = {"address": _prop(props, mapping.address_field), "name": _prop(props, mapping.name_field),
                  "department": _prop(props, mapping.department_field), "usage": _prop(props, mapping.usage_field),
                  "owner_type": owner, "footprint": from_shape(poly, srid=4326),
                  "updated_at": datetime.now(UTC), "district_id": None}
        for k in ("address", "name", "department", "usage"):
            if values[k] is not None:
                values[k] = values[k][:300 if k != "usage" else 64]
        if ext in existing:
            db.session.execute(Building.__table__.update().where(Building.id == existing[ext]).values(**values))
            result.updated += 1
        else:
            b = Building(external_id=ext[:200], **values)
            db.session.add(b)
            result.created += 1
        if (result.created + result.updated) % BATCH == 0:
            db.session.flush()
    db.session.flush()
    assign_districts()
    log.info("buildings import %s: %s", path.name, result.summary())
    return result


# --------------------------------------------------------------------------- reports

@dataclass
class ReportMapping:
    """Columns of a historical report file and how to read them."""

    id_col: str = "id"
    lat_col: str | None = "lat"
    lon_col: str | None = "lon"
    x_col: str | None = None
    y_col: str | None = None
    crs: int = 4326
    created_col: str = "created"
    closed_col: str | None = "closed"
    date_format: str | None = None  # strptime format; ISO 8601 when None
    timezone: str | None = None  # for dates without a zone; None: the city's
    status_col: str | None = "status"
    status_values: dict[str, str] = field(default_factory=dict)
    address_col: str | None = "address"
    category_col: str | None = None
    category_values: dict[str, str] = field(default_factory=dict)
    default_category: str = "graffiti"
    description_col: str | None = None
    closed_is_removal: bool = True
    delimiter: str = ","


def _rows(path: Path, mapping: ReportMapping):
    """(line number, record dict, geometry from the file or None) for CSV or GeoJSON."""
    if path.suffix.lower() in (".geojson", ".json"):
        yield from read_features(path)
        return
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportError_(f"cannot read {path}: {exc}") from exc
    with handle:
        reader = csv.DictReader(handle, delimiter=mapping.delimiter)
        needed = [c for c in (mapping.id_col, mapping.created_col) if c]
        needed += [c for c in ((mapping.x_col, mapping.y_col) if mapping.x_col else (mapping.lat_col, mapping.lon_col))]
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportError_(f"{path.name} has no column(s) {', '.join(missing)}; columns: "
                               f"{', '.join(reader.fieldnames or [])}")
        for record in reader:
            yield reader.line_num, record, None, None


def _parse_time(value, mapping: ReportMapping, tz: ZoneInfo):
    value = (value or "").strip()
    if not value:
        return None
    dt = datetime.strptime(value, mapping.date_format) if mapping.date_format else \
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def import_reports(path, mapping: ReportMapping, progress=_noop) -> ImportResult:
    """Insert or update historical reports by external id; every skipped row is listed with its line and reason."""
    path = Path(path)
    city = current_city()
    srid = city.srid
    try:
        tz = ZoneInfo(mapping.timezone or city.timezone)
    except Exception as exc:
        raise ImportError_(f"unknown time zone {mapping.timezone!r}") from exc
    use_xy = bool(mapping.x_col and mapping.y_col)
    try:
        to_wgs84 = transformer(mapping.crs, 4326) if mapping.crs != 4326 else None
    except CRSError as exc:
        raise ImportError_(f"unknown CRS EPSG:{mapping.crs}: {exc}") from exc
    targets = targets_from_config(current_app.config)
    result = ImportResult()
    existing = dict(db.session.execute(
        select(Report.external_id, Report.id).where(Report.external_id.is_not(None))).all())
    seen = set()
    now = datetime.now(UTC)
    for line, rec, geom, problem in _rows(path, mapping):
        progress(1)
        if problem:
            result.rejected.append((line, problem))
            continue
        ext = _prop(rec, mapping.id_col)
        if not ext:
            result.rejected.append((line, f"no external id in column '{mapping.id_col}'"))
            continue
        if ext in seen:
            result.rejected.append((line, f"external id {ext!r} appears twice in the file"))
            continue
        # position
        try:
            if geom is not None and not use_xy:
                if geom.geom_type != "Point":
                    raise ValueError(f"geometry is a {geom.geom_type}, not a point")
                x, y = geom.x, geom.y
            elif use_xy:
                x, y = float(str(rec[mapping.x_col]).replace(",", ".")), float(str(rec[mapping.y_col]).replace(",", "."))
            else:
                x, y = float(str(rec[mapping.lon_col]).replace(",", ".")), float(str(rec[mapping.lat_col]).replace(",", "."))
            if to_wgs84 is not None:
                x, y = to_wgs84.transform(x, y)
            if not (-180 <= x <= 180 and -90 <= y <= 90):  # NaN fails these comparisons too
                raise ValueError("coordinates out of range")
        except (TypeError, ValueError, KeyError) as exc:
            result.rejected.append((line, f"bad coordinates: {exc}"))
            continue
        if not city.contains(x, y):
            result.rejected.append((line, f"outside the city boundary ({y:.5f}, {x:.5f})"))
            continue
        # dates
        try:
            created = _parse_time(rec.get(mapping.created_col), mapping, tz)
            closed = _parse_time(rec.get(mapping.closed_col), mapping, tz) if mapping.closed_col else None
        except (TypeError, ValueError) as exc:
            result.rejected.append((line, f"bad date: {exc}"))
            continue
        if created is None:
            result.rejected.append((line, f"no created date in column '{mapping.created_col}'"))
            continue
        if created > now:
            result.rejected.append((line, "created date lies in the future"))
            continue
        if closed is not None and closed < created:
            result.rejected.append((line, "closed before it was opened"))
            continue
        # status and category
        raw_status = _prop(rec, mapping.status_col)
        status = "closed" if closed else "new"
        if raw_status is not None:
            status = mapping.status_values.get(raw_status.lower(), raw_status.lower())
            if status not in STATUSES:
                result.rejected.append((line, f"status {raw_status!r} is not mapped (use --status-map)"))
                continue
        raw_cat = _prop(rec, mapping.category_col)
        category = mapping.default_category
        if raw_cat is not None:
            category = mapping.category_values.get(raw_cat.lower(), raw_cat.lower())
            if category not in CATEGORIES:
                result.rejected.append((line, f"category {raw_cat!r} is not one of {', '.join(CATEGORIES)}"))
                continue
        seen.add(ext)
        values = {
            "category": category, "status": status, "source": "import",
            "address": (_prop(rec, mapping.address_col) or None),
            "description": _prop(rec, mapping.description_col),
            "location": f"SRID=4326;POINT({x:.7f} {y:.7f})", "created_at": created,
            "updated_at": closed or created,
            "closed_at": closed if status in ("closed", "rejected", "duplicate") else None,
            "removed_at": closed if (mapping.closed_is_removal and status in ("closed", "removed") and closed) else None,
        }
        if values["address"]:
            values["address"] = values["address"][:300]
        if ext in existing:
            report = db.session.get(Report, existing[ext])
            for k, v in values.items():
                setattr(report, k, v)
            result.updated += 1
        else:
            report = Report(external_id=ext[:200], token=secrets.token_urlsafe(24), **values)
            db.session.add(report)
            db.session.flush()
            db.session.add(StatusEvent(report_id=report.id, from_status=None, to_status="new", created_at=created,
                                       note="imported"))
            if status != "new":
                db.session.add(StatusEvent(report_id=report.id, from_status="new", to_status=status,
                                           created_at=closed or created, note="imported"))
            result.created += 1
        if (result.created + result.updated) % BATCH == 0:
            db.session.flush()
    db.session.flush()
    _link_imported(srid, targets)
    log.info("reports import %s: %s", path.name, result.summary())
    return result


def _link_imported(srid, targets) -> None:
    """Snap imported reports to a building within 15 m, set districts, priorities, due times and re-tag flags."""
    db.session.execute(text("""
        UPDATE reports r SET building_id = (
            SELECT b.id FROM buildings b WHERE ST_DWithin(b.footprint_m, r.location_m, 15)
            ORDER BY ST_Distance(b.footprint_m, r.location_m) LIMIT 1)
        WHERE r.source = 'import' AND r.building_id IS NULL"""))
    assign_districts()
    rows = db.session.execute(text("""
        SELECT r.id, r.created_at, r.offensive, b.owner_type FROM reports r
        LEFT JOIN buildings b ON b.id = r.building_id WHERE r.source = 'import' AND r.due_at IS NULL""")).all()
    updates = []
    for rid, created, offensive, owner in rows:
        t = removal_target(created, offensive, owner, targets)
        updates.append({"id": rid, "p": t.priority, "d": t.due_at})
    if updates:
        db.session.execute(text("UPDATE reports SET priority = :p, due_at = :d WHERE id = :id"), updates)
    db.session.execute(text("""
        UPDATE reports r SET retagged = EXISTS (
            SELECT 1 FROM reports o WHERE o.building_id = r.building_id AND o.id <> r.id
            AND o.removed_at IS NOT NULL AND o.removed_at < r.created_at
            AND o.removed_at >= r.created_at - make_interval(days => :days))
        WHERE r.source = 'import' AND r.building_id IS NOT NULL"""), {"days": RETAG_WINDOW.days})


def write_rejects(path, rejected: list[tuple[int, str]], label: str = "line") -> None:
    """The rejects file: one CSV row per skipped record with its number and the reason."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([label, "reason"])
        w.writerows(rejected)
