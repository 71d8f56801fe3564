"""Open311 GeoReport v2: the service catalogue, the mapping of reports to service requests, queries."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import labels
from app.extensions import db
from app.models import CATEGORIES, OPEN_STATUSES, Report

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
SURFACES = ("facade", "door", "window", "furniture", "other")


class Open311Error(Exception):
    """A request the spec answers with an error: HTTP status and description."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


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


def status_notes(report: Report) -> str:
    """A short human note on the current status."""
    notes = {
        "new": _("Eingegangen, wird geprüft."), "verified": _("Geprüft, wird eingeplant."),
        "scheduled": _("Entfernung ist eingeplant."), "removed": _("Entfernt."),
        "closed": _("Erledigt."), "rejected": _("Abgelehnt (kein Fall für die Stadt)."),
        "duplicate": _("Bereits gemeldet; wird mit Meldung %(id)s bearbeitet.", id=report.duplicate_of_id),
        "notify_owner": _("Privates Gebäude: die Eigentümer werden benachrichtigt."),
    }
    return notes.get(report.status, report.status)


def service_names() -> dict[str, str]:
    """service_code -> service_name in the current language."""
    return labels.names(labels.CATEGORY)


def as_service_request(report: Report, media_url_for, default_agency: str, names: dict[str, str]) -> dict:
    """A report in the spec's field names and types (`names` from service_names()); never personal data."""
    point = to_shape(report.location)
    building = report.building
    photo = report.photos[0] if report.photos else None
    return {
        "service_request_id": str(report.id),
        "status": spec_status(report.status),
        "status_notes": status_notes(report),
        "service_name": names[report.category],
        "service_code": report.category,
        "description": report.description or "",
        "agency_responsible": (building.department if building and building.department else default_agency),
        "service_notice": "",
        "requested_datetime": report.created_at,
        "updated_datetime": report.updated_at,
        "expected_datetime": report.due_at if report.status in OPEN_STATUSES else None,
        "address": report.address or (building.address if building else "") or "",
        "address_id": str(building.id) if building else "",
        "zipcode": "",
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        "media_url": media_url_for(photo) if photo else (report.media_url or ""),
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
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class RequestQuery:
    """GET requests parameters after validation."""

    ids: list[int] | None
    service_codes: list[str] | None
    start: datetime
    end: datetime
    statuses: list[str] | None


def parse_query(args, now: datetime | None = None) -> RequestQuery:
    """Validate GET requests parameters; windows default to the last 90 days and may not exceed 90 days."""
    now = now or datetime.now(UTC)
    ids = None
    if args.get("service_request_id"):
        try:
            ids = [int(x) for x in args["service_request_id"].split(",") if x.strip()]
        except ValueError as exc:
            raise Open311Error(400, _("service_request_id muss eine Liste von Zahlen sein.")) from exc
    codes = None
    if args.get("service_code"):
        codes = [c.strip() for c in args["service_code"].split(",") if c.strip()]
        unknown = [c for c in codes if c not in CATEGORIES]
        if unknown:
            raise Open311Error(400, _("Unbekannter service_code '%(code)s'. Gültig: %(codes)s",
                                      code=unknown[0], codes=", ".join(CATEGORIES)))
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
    statuses = None
    if args.get("status"):
        wanted = {s.strip() for s in args["status"].split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, _("status muss 'open' oder 'closed' sein."))
        statuses = sorted(wanted)
    return RequestQuery(ids, codes, start, end, statuses)


def find_requests(q: RequestQuery) -> list[Report]:
    """Reports matching a GET requests query, newest first, at most 1000."""
    stmt = select(Report).options(selectinload(Report.photos), selectinload(Report.building))
    if q.ids is not None:
        stmt = stmt.where(Report.id.in_(q.ids))  # the spec: other parameters are ignored with ids
    else:
        stmt = stmt.where(Report.created_at >= q.start, Report.created_at <= q.end)
        if q.service_codes:
            stmt = stmt.where(Report.category.in_(q.service_codes))
        if q.statuses == ["open"]:
            stmt = stmt.where(Report.status.in_(OPEN_STATUSES))
        elif q.statuses == ["closed"]:
            stmt = stmt.where(Report.status.not_in(OPEN_STATUSES))
    return list(db.session.scalars(stmt.order_by(Report.created_at.desc()).limit(MAX_RESULTS)))


def find_request(request_id: str) -> Report:
    """One report by its service_request_id."""
    if not request_id.isdigit():
        raise Open311Error(404, _("Keine Meldung mit der ID %(id)s.", id=request_id))
    report = db.session.get(Report, int(request_id))
    if report is None:
        raise Open311Error(404, _("Keine Meldung mit der ID %(id)s.", id=request_id))
    return report


def find_by_token(token: str) -> Report:
    """The report behind a public token."""
    report = db.session.scalar(select(Report).where(Report.token == token))
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


def submit_open311_request(form) -> dict:
    """POST requests: map the spec's fields onto the citizen use case and answer the spec's fields."""
    from app.errors import ValidationFailed
    from app.services.citizen.submission import submit_report

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
    media_url = (form.get("media_url") or "").strip() or None
    if media_url and (not media_url.lower().startswith(("http://", "https://")) or len(media_url) > 1000):
        raise Open311Error(400, _("media_url muss eine http(s)-Adresse mit höchstens 1000 Zeichen sein."))
    phone = (form.get("phone") or "").strip() or None
    if (phone and len(phone) > 50) or len(name) > 200:
        raise Open311Error(400, _("Name (höchstens 200 Zeichen) oder Telefonnummer (höchstens 50) ist zu lang."))
    data = {"lat": lat, "lon": lon, "category": code, "description": form.get("description") or "",
            "offensive": offensive, "email": form.get("email") or ""}
    extra = {"surface": surface, "reporter_name": name or None, "reporter_phone": phone,
             "address": address[:300] or None, "media_url": media_url}
    try:
        result = submit_report(data, [], source="open311", extra=extra)
    except ValidationFailed as exc:
        raise Open311Error(400, " ".join(f"{f}: {m}" if f else m for f, m in exc.errors)) from exc
    notice = _("Danke! Ihre Meldung ist eingegangen.")
    if result.get("duplicate_of"):
        notice = _("Danke! Diese Stelle ist bereits gemeldet; Ihre Meldung wurde der bestehenden zugeordnet.")
    return {"service_request_id": str(result["id"]), "service_notice": notice, "account_id": ""}
