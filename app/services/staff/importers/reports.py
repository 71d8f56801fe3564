"""Import historical reports from an old system (CSV or GeoJSON points), idempotent by the external id."""
import csv
import logging
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, text

from app.city import current_city
from app.extensions import db
from app.models import CATEGORIES, STATUSES, Report, StatusEvent
from app.services.core.city_setup import assign_districts
from app.services.core.sla import removal_target, targets_from_config
from app.services.core.workflow import RETAG_WINDOW
from app.services.staff.importers import files

log = logging.getLogger(__name__)
FINISHED = ("removed", "closed", "rejected", "duplicate")  # statuses that end with a date


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


def import_reports(path, mapping: ReportMapping, progress=files.no_progress) -> files.ImportResult:
    """Insert or update historical reports by external id; every skipped row is listed with its line and reason."""
    path = Path(path)
    city = current_city()
    try:
        tz = ZoneInfo(mapping.timezone or city.timezone)
    except Exception as exc:
        raise files.ImportError_(f"unknown time zone {mapping.timezone!r}") from exc
    to_wgs84 = files.wgs84_transformer(mapping.crs)
    targets = targets_from_config(current_app.config)
    mapping, rows = _rows(path, mapping)
    existing = dict(db.session.execute(
        select(Report.external_id, Report.id).where(Report.external_id.is_not(None))).all())
    seen: dict = {}
    warnings: list[tuple[int, str]] = []
    now = datetime.now(UTC)

    def store(rec, geom, n) -> bool:
        ext = files.new_external_id(rec, mapping.id_col, seen, "column", n)
        x, y = _position(rec, geom, mapping, to_wgs84)
        if not city.contains(x, y):
            raise files.Rejected(f"outside the city boundary ({y:.5f}, {x:.5f})")
        created, closed = _dates(rec, mapping, tz, now)
        status = files.mapped(files.prop(rec, mapping.status_col), mapping.status_values, STATUSES,
                        "closed" if closed else "new", "status {raw!r} is not mapped (use --status-map)")
        category = files.mapped(files.prop(rec, mapping.category_col), mapping.category_values, CATEGORIES,
                          mapping.default_category, "category {raw!r} is not one of " + ", ".join(CATEGORIES))
        if status in FINISHED and closed is None:
            warnings.append((n, f"status {files.prop(rec, mapping.status_col) or status!r} without a closing date: "
                                f"imported as {status} with the date unknown (left out of the removal times)"))
        values = {
            "category": category, "status": status, "source": "import",
            "address": (files.prop(rec, mapping.address_col) or "")[:300] or None,
            "description": files.prop(rec, mapping.description_col),
            "location": f"SRID=4326;POINT({x:.7f} {y:.7f})", "created_at": created,
            "updated_at": closed or created,
            "closed_at": closed if status in ("closed", "rejected", "duplicate") else None,
            "removed_at": closed if (mapping.closed_is_removal and status in ("closed", "removed") and closed) else None,
        }
        return _store(ext, existing.get(ext), values, date_unknown=status in FINISHED and closed is None)

    result = files.import_records(rows, store, progress)
    result.warnings = warnings
    _link_imported(targets)
    log.info("reports import %s: %s", path.name, result.summary())
    return result


def _rows(path: Path, mapping: ReportMapping):
    """The mapping with its CSV columns resolved, and (line number, record dict, geometry from the file or None,
    problem) for each row of a CSV or feature of a GeoJSON file."""
    if path.suffix.lower() in (".geojson", ".json"):
        return mapping, files.read_features(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, delimiter=mapping.delimiter), [])
    except OSError as exc:
        raise files.ImportError_(f"cannot read {path}: {exc}") from exc
    return _resolve_columns(mapping, header, path.name), _csv_records(path, mapping.delimiter, header)


def _csv_records(path: Path, delimiter: str, header: list[str]):
    """Each CSV row as a dict by header name (names that are empty or repeated only by position, '#1' ...)."""
    named = [(i, h) for i, h in enumerate(header) if h and header.count(h) == 1]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for row in reader:
            record = {f"#{i + 1}": v for i, v in enumerate(row)}
            record.update({h: row[i] for i, h in named if i < len(row)})
            yield reader.line_num, record, None, None


def _resolve_columns(mapping: ReportMapping, header: list[str], filename: str) -> ReportMapping:
    """Column options as record keys: a header name (used once), '#N' for the N-th column, or '' for the one
    column without a header. Required columns that are not there stop the import; optional ones are dropped."""
    coords = ("x_col", "y_col") if mapping.x_col else ("lat_col", "lon_col")
    required = ("id_col", "created_col", *coords)
    resolved = {}
    for option in (*required, "closed_col", "status_col", "address_col", "category_col", "description_col",
                   *(("lat_col", "lon_col") if mapping.x_col else ("x_col", "y_col"))):
        name = getattr(mapping, option)
        if name is None:
            continue
        key = _column_key(name, header)
        if key is None and option in required:
            shown = ", ".join(f"#{i + 1} {h!r}" for i, h in enumerate(header))
            raise files.ImportError_(
                f"{filename} has no column {name!r} for --{option.replace('_', '-')}; columns: {shown} (a column "
                "without a header, or with a header used twice, is chosen by position, e.g. '#1')")
        resolved[option] = key
    return replace(mapping, **resolved)


def _column_key(name: str, header: list[str]) -> str | None:
    m = re.fullmatch(r"#(\d+)", name.strip())
    if name in header and header.count(name) == 1 and name:
        return name
    if m and 1 <= int(m.group(1)) <= len(header):
        return f"#{int(m.group(1))}"
    if name == "" and header.count("") == 1:
        return f"#{header.index('') + 1}"
    return None


def _number(value) -> float:
    return float(str(value).replace(",", "."))


def _position(rec: dict, geom, mapping: ReportMapping, to_wgs84) -> tuple[float, float]:
    """The row's position as WGS84 lon, lat: from the file's point, the x/y columns or the lat/lon columns."""
    use_xy = bool(mapping.x_col and mapping.y_col)
    try:
        if geom is not None and not use_xy:
            if geom.geom_type != "Point":
                raise ValueError(f"geometry is a {geom.geom_type}, not a point")
            x, y = geom.x, geom.y
        elif use_xy:
            x, y = _number(rec[mapping.x_col]), _number(rec[mapping.y_col])
        else:
            x, y = _number(rec[mapping.lon_col]), _number(rec[mapping.lat_col])
        if to_wgs84 is not None:
            x, y = to_wgs84.transform(x, y)
        if not (-180 <= x <= 180 and -90 <= y <= 90):  # NaN fails these comparisons too
            raise ValueError("coordinates out of range")
    except (TypeError, ValueError, KeyError) as exc:
        raise files.Rejected(f"bad coordinates: {exc}") from None
    return x, y


def _parse_time(value, mapping: ReportMapping, tz: ZoneInfo):
    value = (value or "").strip()
    if not value:
        return None
    dt = datetime.strptime(value, mapping.date_format) if mapping.date_format else \
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def _dates(rec: dict, mapping: ReportMapping, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime | None]:
    """When the report was created and closed (None: still open); Rejected when they cannot be."""
    try:
        created = _parse_time(rec.get(mapping.created_col), mapping, tz)
        closed = _parse_time(rec.get(mapping.closed_col), mapping, tz) if mapping.closed_col else None
    except (TypeError, ValueError) as exc:
        raise files.Rejected(f"bad date: {exc}") from None
    if created is None:
        raise files.Rejected(f"no created date in column '{mapping.created_col}'")
    if created > now:
        raise files.Rejected("created date lies in the future")
    if closed is not None and closed < created:
        raise files.Rejected("closed before it was opened")
    return created, closed


def _store(ext: str, report_id: int | None, values: dict, date_unknown: bool = False) -> bool:
    """Update the report imported before as `ext`, or add it with its history; True when it is new. The history
    says when the date of the last status is unknown (the event then carries the creation time)."""
    if report_id is not None:
        report = db.session.get(Report, report_id)
        for k, v in values.items():
            setattr(report, k, v)
        return False
    report = Report(external_id=ext[:200], token=secrets.token_urlsafe(24), **values)
    db.session.add(report)
    db.session.flush()
    created, status = values["created_at"], values["status"]
    db.session.add(StatusEvent(report_id=report.id, from_status=None, to_status="new", created_at=created,
                               note="imported"))
    if status != "new":
        db.session.add(StatusEvent(report_id=report.id, from_status="new", to_status=status,
                                   created_at=values["updated_at"],
                                   note="imported; date unknown" if date_unknown else "imported"))
    return True


def _link_imported(targets) -> None:
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
