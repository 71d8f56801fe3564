"""Open311 GeoReport v2: the service catalogue, the mapping of reports to service requests, queries."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import aliased, selectinload

from app import labels
from app.extensions import db
from app.models import CATEGORIES, OPEN_STATUSES, Report
from app.services.citizen.public import grid_point_sql, publicly_visible, report_by_token

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
PUBLIC_ID_CHARS = frozenset("0123456789abcdef")
SURFACES = ("facade", "door", "window", "furniture", "other")


class Open311Error(Exception):
    """A request the spec answers with an error: HTTP status and description."""

    def __init__(self, status: int, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def _service_texts() -> dict:
    """Per category: description and search keywords (the service's name is the category's label)."""
    return {
        "graffiti": (_("Graffiti und Tags an Gebäuden, Mauern oder Stadtmobiliar."),
                     ["graffiti", "tag", "spray", "farbe"]),
        "sticker": (_("Wild geklebte Aufkleber oder Plakate."), ["aufkleber", "plakat", "sticker", "poster"]),
        "scratching": (_("Eingeritzte oder geätzte Zeichen in Glas oder Oberflächen."),
                       ["kratzen", "ätzen", "scratching", "etching"]),
        "other": (_("Andere Sachbeschädigung an Gebäuden."), ["beschädigung", "vandalismus", "damage"]),
    }


def services() -> list[dict]:
    """GET services: one service per report category."""
    texts = _service_texts()
    return [{
        "service_code": code, "service_name": labels.category_label(code), "description": texts[code][0],
        "metadata": True, "type": "realtime", "keywords": ", ".join(texts[code][1]),
        "group": _("Graffiti und Sachbeschädigung"),
    } for code in CATEGORIES]


def service_definition(code: str) -> dict:
    """GET services/{code}: the attributes a client may send with a request."""
    if code not in CATEGORIES:
        raise Open311Error(404, _("Unbekannter service_code '%(code)s'. Gültig: %(codes)s",
                                  code=code, codes=", ".join(CATEGORIES)))
    return {"service_code": code, "attributes": [
        {"variable": True, "code": "surface", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("Eine der Flächen"), "order": 1,
         "description": _("Wo befindet sich das Graffiti?"),
         "values": [{"key": k, "name": labels.label(labels.SURFACE, k)} for k in SURFACES]},
        {"variable": True, "code": "offensive", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("true oder false"), "order": 2,
         "description": _("Beleidigender Inhalt (rassistisch, sexistisch, politisch, beleidigend)? "
                          "Solche Inhalte werden am schnellsten entfernt."),
         "values": [{"key": "true", "name": _("Ja")}, {"key": "false", "name": _("Nein")}]},
    ]}


def spec_status(status: str) -> str:
    """The spec's open/closed for one of our statuses (removed counts as closed: the graffiti is gone)."""
    return "open" if status in OPEN_STATUSES else "closed"


def status_notes(report: Report, original: Report | None = None) -> str:
    """A short human note on the current status; a duplicate names the report it joined and its state."""
    notes = {
        "new": _("Eingegangen, wird geprüft."), "verified": _("Geprüft, wird eingeplant."),
        "scheduled": _("Entfernung ist eingeplant."), "removed": _("Entfernt."),
        "closed": _("Erledigt."), "rejected": _("Abgelehnt (kein Fall für die Stadt)."),
        "notify_owner": _("Privates Gebäude: die Eigentümer werden benachrichtigt."),
    }
    if report.status == "duplicate" and original is not None:
        return " ".join((duplicate_notice(original), notes.get(original.status, original.status)))
    return notes.get(report.status, report.status)


def duplicate_notice(original: Report) -> str:
    """What a duplicate's reader is told: which report it joined."""
    return _("Bereits gemeldet; wird mit Meldung %(id)s bearbeitet.", id=original.public_id)


def service_names() -> dict[str, str]:
    """service_code -> service_name in the current language."""
    return labels.names(labels.CATEGORY)


@dataclass
class PublicRequest:
    """A report as the public may see it: its grid position and, for a duplicate, the report it joined."""

    report: Report
    lon: float
    lat: float
    original: Report | None


def as_service_request(row: PublicRequest, media_url_for, default_agency: str, names: dict[str, str]) -> dict:
    """A report in the spec's field names and types, showing no more than the public map: the grid position,
    the public status (a duplicate's is its original's), no address; the citizen's text and photos only when
    staff released them; never personal data."""
    report, original = row.report, row.original
    shown = original if report.status == "duplicate" and original is not None else report
    building = report.building
    released = report.description_published_at is not None
    photo = report.photos[0] if report.photos else None
    media = (media_url_for(photo) if photo else (report.media_url or "")) if released else ""
    return {
        "service_request_id": report.public_id,
        "status": spec_status(shown.status),
        "status_notes": status_notes(report, original),
        "service_name": names[report.category],
        "service_code": report.category,
        "description": (report.description or "") if released else "",
        "agency_responsible": (building.department if building and building.department else default_agency),
        "service_notice": duplicate_notice(original) if shown is original else "",
        "requested_datetime": report.created_at,
        "updated_datetime": max(report.updated_at, shown.updated_at),
        "expected_datetime": shown.due_at if shown.status in OPEN_STATUSES else None,
        "address": report.district.name if report.district else "",
        "address_id": "",
        "zipcode": "",
        "lat": round(row.lat, 6),
        "long": round(row.lon, 6),
        "media_url": media,
    }


def parse_datetime(name: str, value: str | None) -> datetime | None:
    """A W3C/ISO 8601 datetime parameter (naive values are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, _("%(name)s ist kein Datum nach ISO 8601 (z. B. 2026-11-26T09:00:00Z).",
                                  name=name)) from exc
    if not 1970 <= parsed.year <= 2200:  # far dates would overflow the window arithmetic
        raise Open311Error(400, _("%(name)s muss zwischen 1970 und 2200 liegen.", name=name))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class RequestQuery:
    """GET requests parameters after validation."""

    ids: list[str] | None
    service_codes: list[str] | None
    start: datetime
    end: datetime
    statuses: list[str] | None


def parse_window(args, now: datetime) -> tuple[datetime, datetime]:
    """start_date and end_date: at most 90 days; a missing end is 90 days after the start (at most now), a
    missing start 90 days before the end; neither: the last 90 days."""
    start = parse_datetime("start_date", args.get("start_date"))
    end = parse_datetime("end_date", args.get("end_date"))
    if start and end and end < start:
        raise Open311Error(400, _("end_date liegt vor start_date."))
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, _("Der Zeitraum darf höchstens 90 Tage umfassen."))
    if start and not end:
        end = min(start + MAX_WINDOW, max(now, start))
    if end and not start:
        start = end - MAX_WINDOW
    if not start:
        end, start = now, now - MAX_WINDOW
    return start, end


def parse_query(args, now: datetime | None = None) -> RequestQuery:
    """Validate GET requests parameters; windows default to the last 90 days and may not exceed 90 days."""
    now = now or datetime.now(UTC)
    ids = None
    if args.get("service_request_id"):
        ids = [x.strip().lower() for x in args["service_request_id"].split(",") if x.strip()]
        if len(ids) > MAX_RESULTS or not all(is_public_id(x) for x in ids):
            raise Open311Error(400, _("service_request_id muss eine Liste von höchstens %(n)d IDs sein (je "
                                      "16 Zeichen 0-9 und a-f).", n=MAX_RESULTS))
    codes = None
    if args.get("service_code"):
        codes = [c.strip() for c in args["service_code"].split(",") if c.strip()]
        unknown = [c for c in codes if c not in CATEGORIES]
        if unknown:
            raise Open311Error(400, _("Unbekannter service_code '%(code)s'. Gültig: %(codes)s",
                                      code=unknown[0], codes=", ".join(CATEGORIES)))
    start, end = parse_window(args, now)
    statuses = None
    if args.get("status"):
        wanted = {s.strip() for s in args["status"].split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, _("status muss 'open' oder 'closed' sein."))
        statuses = sorted(wanted)
    return RequestQuery(ids, codes, start, end, statuses)


def is_public_id(value: str) -> bool:
    """Whether `value` has the shape of a public id (16 hex digits)."""
    return len(value) == 16 and set(value) <= PUBLIC_ID_CHARS


def _public_requests(now: datetime):
    """Reports with their grid position and original, restricted to what the public map shows (a duplicate
    counts with its original's status)."""
    original = aliased(Report)
    shown_status = case((Report.status == "duplicate", original.status), else_=Report.status)
    shown_updated = case((Report.status == "duplicate", original.updated_at), else_=Report.updated_at)
    point = literal_column(grid_point_sql("reports.location_m"))
    stmt = (select(Report, func.ST_X(point), func.ST_Y(point), original)
            .outerjoin(original, Report.duplicate_of_id == original.id)
            .options(selectinload(Report.photos), selectinload(Report.building), selectinload(Report.district))
            .where(publicly_visible(shown_status, shown_updated, now)))
    return stmt, shown_status


def _rows(stmt) -> list[PublicRequest]:
    return [PublicRequest(r, lon, lat, o) for r, lon, lat, o in db.session.execute(stmt)]


def find_requests(q: RequestQuery, now: datetime | None = None) -> list[PublicRequest]:
    """Publicly visible reports matching a GET requests query, newest first, at most MAX_RESULTS + 1 (the
    one more tells the caller that the limit was hit)."""
    stmt, shown_status = _public_requests(now or datetime.now(UTC))
    if q.ids is not None:
        stmt = stmt.where(Report.public_id.in_(q.ids))  # the spec: other parameters are ignored with ids
    else:
        stmt = stmt.where(Report.created_at >= q.start, Report.created_at <= q.end)
        if q.service_codes:
            stmt = stmt.where(Report.category.in_(q.service_codes))
        if q.statuses == ["open"]:
            stmt = stmt.where(shown_status.in_(OPEN_STATUSES))
        elif q.statuses == ["closed"]:
            stmt = stmt.where(shown_status.not_in(OPEN_STATUSES))
    return _rows(stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(MAX_RESULTS + 1))


def find_request(request_id: str, now: datetime | None = None) -> PublicRequest:
    """One publicly visible report by its service_request_id (its public id)."""
    request_id = request_id.lower()
    rows = []
    if is_public_id(request_id):
        stmt, _shown = _public_requests(now or datetime.now(UTC))
        rows = _rows(stmt.where(Report.public_id == request_id))
    if not rows:
        raise Open311Error(404, _("Keine Meldung mit der ID %(id)s.", id=request_id[:40]))
    return rows[0]


def next_page_end(oldest: datetime) -> datetime:
    """The end_date that asks for what a full page left out: answers show whole seconds, so the next page
    starts at the second after the oldest entry shown (that second's entries may come twice; nothing is
    lost)."""
    return oldest.replace(microsecond=0) + timedelta(seconds=1)


def find_by_token(token: str) -> Report:
    """The report behind a status token (reports are found by their token only: nothing to guess)."""
    report = report_by_token(token) if "\x00" not in token else None
    if report is None:
        raise Open311Error(404, _("Unbekanntes Token."))
    return report


def _locate_address(address: str) -> tuple[float, float]:
    """(lat, lon) of the registered building whose address matches `address_string` best."""
    from app.models import Building

    text = " ".join(address.split())
    if len(text) < 4:
        raise Open311Error(400, _("address_string ist zu kurz; senden Sie lat und long oder eine vollständige "
                                  "Adresse."))
    street_part = text.split(",")[0].strip()
    row = db.session.execute(
        select(func.ST_Y(func.ST_Centroid(Building.footprint)), func.ST_X(func.ST_Centroid(Building.footprint)))
        .where(Building.address.ilike(street_part.replace("%", r"\%").replace("_", r"\_") + "%"))
        .order_by(func.length(Building.address)).limit(1)).first()
    if row is None:
        raise Open311Error(400, _("Die Adresse '%(address)s' ist nicht im Gebäudeverzeichnis; senden Sie lat "
                                  "und long.", address=text))
    return float(row[0]), float(row[1])


def reject_nul(form) -> None:
    """A NUL byte cannot be stored (PostgreSQL text): 400 naming the field instead of a 500."""
    for name, value in form.items(multi=True) if hasattr(form, "items") else ():
        if "\x00" in name or "\x00" in (value or ""):
            raise Open311Error(400, _("Das Feld %(field)s enthält ein NUL-Zeichen.",
                                      field=name.replace("\x00", "\\0")[:60]))


def checked_media_url(value: str | None) -> str | None:
    """A client's media_url: only an absolute http(s) address with a host, at most 1000 characters; kept as
    text and never fetched by the service."""
    value = (value or "").strip() or None
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(value) > 1000 or any(
            c.isspace() or ord(c) < 32 for c in value):
        raise Open311Error(400, _("media_url muss eine http(s)-Adresse mit höchstens 1000 Zeichen sein."))
    return value


def submit_open311_request(form, api_key_id: int | None = None) -> dict:
    """POST requests: map the spec's fields onto the citizen use case and answer the spec's fields."""
    from app.errors import ValidationFailed
    from app.services.citizen.submission import submit_report

    reject_nul(form)
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code fehlt."))
    if code not in CATEGORIES:
        raise Open311Error(404, _("Unbekannter service_code '%(code)s'. Gültig: %(codes)s",
                                  code=code, codes=", ".join(CATEGORIES)))
    lat, lon = form.get("lat"), form.get("long")
    address = (form.get("address_string") or "").strip()
    if (lat in (None, "") or lon in (None, "")) and not address:
        raise Open311Error(400, _("Ort fehlt: senden Sie lat und long oder address_string."))
    if lat in (None, "") or lon in (None, ""):
        lat, lon = _locate_address(address)
    offensive = (form.get("attribute[offensive]") or "false").strip().lower()
    if offensive not in ("true", "false"):
        raise Open311Error(400, _("attribute[offensive] muss 'true' oder 'false' sein."))
    surface = (form.get("attribute[surface]") or "").strip() or None
    if surface is not None and surface not in SURFACES:
        raise Open311Error(400, _("attribute[surface] muss einer der Werte %(values)s sein.",
                                  values=", ".join(SURFACES)))
    name = " ".join(p for p in ((form.get("first_name") or "").strip(), (form.get("last_name") or "").strip()) if p)
    media_url = checked_media_url(form.get("media_url"))
    phone = (form.get("phone") or "").strip() or None
    if (phone and len(phone) > 50) or len(name) > 200:
        raise Open311Error(400, _("Name (höchstens 200 Zeichen) oder Telefonnummer (höchstens 50) ist zu lang."))
    data = {"lat": lat, "lon": lon, "category": code, "description": form.get("description") or "",
            "offensive": offensive, "email": form.get("email") or ""}
    extra = {"surface": surface, "reporter_name": name or None, "reporter_phone": phone,
             "address": address[:300] or None, "media_url": media_url, "api_key_id": api_key_id}
    try:
        result = submit_report(data, [], source="open311", extra=extra)
    except ValidationFailed as exc:
        raise Open311Error(400, " ".join(f"{f}: {m}" if f else m for f, m in exc.errors)) from exc
    notice = _("Danke! Ihre Meldung ist eingegangen.")
    if result.get("duplicate_of"):
        original = db.session.get(Report, result["duplicate_of"])
        notice = _("Danke! Diese Stelle ist bereits gemeldet; Ihre Meldung wurde der bestehenden zugeordnet.")
        if original is not None:
            notice = " ".join((notice, duplicate_notice(original)))
    return {"service_request_id": result["public_id"], "service_notice": notice, "account_id": ""}
