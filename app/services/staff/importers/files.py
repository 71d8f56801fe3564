"""What both importers share: reading GeoJSON/GeoPackage features, value maps, rejects and the import loop."""
import csv
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from pyproj.exceptions import CRSError
from shapely.geometry import shape

from app.extensions import db
from gis.projection import transformer

BATCH = 500


class ImportError_(ValueError):
    """The file or the options cannot be used at all (nothing is imported)."""


class Rejected(ValueError):
    """One feature or row cannot be used; the message says why (it goes into the rejects file)."""


@dataclass
class ImportResult:
    """Counts of an import, the rejected records as (number, reason) and warnings about imported ones."""

    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the command line."""
        line = f"{self.created} created, {self.updated} updated, {len(self.rejected)} rejected"
        return line + (f", {len(self.warnings)} imported with a warning" if self.warnings else "")


def no_progress(*_args, **_kwargs):
    """The default progress callback: report nothing."""
    return None


def import_records(records, store, progress) -> ImportResult:
    """store(record, geometry, number) -> created? for each (number, record, geometry, problem); a record with a
    problem or whose store raises Rejected is listed with its number and reason. Flushes every BATCH records."""
    result = ImportResult()
    for n, record, geom, problem in records:
        progress(1)
        try:
            if problem:
                raise Rejected(problem)
            created = store(record, geom, n)
        except Rejected as exc:
            result.rejected.append((n, str(exc)))
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
        if (result.created + result.updated) % BATCH == 0:
            db.session.flush()
    db.session.flush()
    return result


def wgs84_transformer(crs: int):
    """The transformer from EPSG:`crs` to WGS84 (None for WGS84 itself); ImportError_ for an unknown CRS."""
    try:
        return transformer(crs, 4326) if crs != 4326 else None
    except CRSError as exc:
        raise ImportError_(f"unknown CRS EPSG:{crs}: {exc}") from exc


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


def prop(record: dict, name: str | None) -> str | None:
    """The stripped text of a record's attribute; None when there is no such attribute or it is empty."""
    if not name:
        return None
    value = record.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def new_external_id(record: dict, name: str, seen: dict, where: str, number: int, label: str = "line") -> str:
    """The record's external id (in attribute/column `name`); Rejected when missing or when an earlier record of
    the file had it: the first one with an id counts (even when it is rejected for another reason)."""
    ext = prop(record, name)
    if not ext:
        raise Rejected(f"no external id in {where} '{name}'")
    if ext in seen:
        raise Rejected(f"external id {ext!r} appears twice in the file (first on {label} {seen[ext]})")
    seen[ext] = number
    return ext


def mapped(raw: str | None, values: dict[str, str], allowed, default: str, problem: str) -> str:
    """A file's value through the value map (case-insensitive), else itself; `default` when the file has none.
    Rejected with `problem` (a format string of `raw`) when the result is not one of `allowed`."""
    if raw is None:
        return default
    value = values.get(raw.lower(), raw.lower())
    if value not in allowed:
        raise Rejected(problem.format(raw=raw))
    return value


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
        props = {k: v for k, v in zip(names, row, strict=True) if k != geom_col}
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


def write_rejects(path, rejected: list[tuple[int, str]], label: str = "line", what: str = "reason") -> None:
    """The rejects (or warnings) file: one CSV row per record with its number and the reason (or warning)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([label, what])
        w.writerows(rejected)
