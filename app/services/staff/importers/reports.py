"""Import historical reports from an old system (CSV or GeoJSON points), idempotent by the external id."""
import csv
import logging
import secrets
from dataclasses import dataclass, field
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
    existing = dict(db.session.execute(
        select(Report.external_id, Report.id).where(Report.external_id.is_not(None))).all())
    seen = set()
    now = datetime.now(UTC)

    def store(rec, geom) -> bool:
        ext = files.new_external_id(rec, mapping.id_col, seen, "column")
        x, y = _position(rec, geom, mapping, to_wgs84)
        if not city.contains(x, y):
            raise files.Rejected(f"outside the city boundary ({y:.5f}, {x:.5f})")
        created, closed = _dates(rec, mapping, tz, now)
        status = files.mapped(files.prop(rec, mapping.status_col), mapping.status_values, STATUSES,
                        "closed" if closed else "new", "status {raw!r} is not mapped (use --status-map)")
        category = files.mapped(files.prop(rec, mapping.category_col), mapping.category_values, CATEGORIES,
                          mapping.default_category, "category {raw!r} is not one of " + ", ".join(CATEGORIES))
        seen.add(ext)
        values = {
            "category": category, "status": status, "source": "import",
            "address": (files.prop(rec, mapping.address_col) or "")[:300] or None,
            "description": files.prop(rec, mapping.description_col),
            "location": f"SRID=4326;POINT({x:.7f} {y:.7f})", "created_at": created,
            "updated_at": closed or created,
            "closed_at": closed if status in ("closed", "rejected", "duplicate") else None,
            "removed_at": closed if (mapping.closed_is_removal and status in ("closed", "removed") and closed) else None,
        }
        return _store(ext, existing.get(ext), values)

    result = files.import_records(_rows(path, mapping), store, progress)
    _link_imported(targets)
    log.info("reports import %s: %s", path.name, result.summary())
    return result


def _rows(path: Path, mapping: ReportMapping):
    """(line number, record dict, geometry from the file or None, problem) for CSV or GeoJSON."""
    if path.suffix.lower() in (".geojson", ".json"):
        yield from files.read_features(path)
        return
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise files.ImportError_(f"cannot read {path}: {exc}") from exc
    with handle:
        reader = csv.DictReader(handle, delimiter=mapping.delimiter)
        needed = [c for c in (mapping.id_col, mapping.created_col) if c]
        needed += [c for c in ((mapping.x_col, mapping.y_col) if mapping.x_col else (mapping.lat_col, mapping.lon_col))]
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise files.ImportError_(f"{path.name} has no column(s) {', '.join(missing)}; columns: "
                               f"{', '.join(reader.fieldnames or [])}")
        for record in reader:
            yield reader.line_num, record, None, None


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


def _store(ext: str, report_id: int | None, values: dict) -> bool:
    """Update the report imported before as `ext`, or add it with its history; True when it is new."""
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
                                   created_at=values["updated_at"], note="imported"))
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
