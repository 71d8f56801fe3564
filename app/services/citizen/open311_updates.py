"""FixMyStreet's `servicerequestupdates` extension of Open311: the city's status changes and public messages
flow to the client that filed a report; the client's comments flow in, for staff only.

A client (an API key) sees the updates of the reports it filed, and of the reports they joined as duplicates,
never anyone else's; an update carries the status, the city's message to the citizen (`public_text`) or a
short note on the status - never staff's internal notes or personal data.
"""
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Report, ReportComment, StatusEvent
from app.services.citizen import open311
from app.services.citizen.open311 import (
    Open311Error, checked_media_url, duplicate_notice, parse_datetime, parse_window, status_notes,
)
from app.services.core.workflow import public_text

MAX_COMMENT = 2000
# Our statuses in mySociety's extended status list (FixMyStreet maps them onto its own states).
EXTENDED_STATUS = {
    "new": "open", "verified": "investigating", "scheduled": "action_scheduled",
    "notify_owner": "not_councils_responsibility", "removed": "fixed", "closed": "closed",
    "rejected": "no_further_action",
}


@dataclass
class _Shown:
    """Stands in for a report in status_notes(): just its status."""

    status: str


def _entry(event: StatusEvent, report: Report, original: Report | None) -> dict:
    """One update of `report` (the client's) from `event` (on the report itself or on its original)."""
    inherited = event.report_id != report.id
    status = event.to_status
    note = public_text(event)
    if status == "duplicate" and original is not None:      # the report joined another: say which, and its state
        status = original.status
        note = " ".join(p for p in (duplicate_notice(original), note) if p)
    elif inherited:
        note = " ".join(p for p in (duplicate_notice(original), note) if p) if original is not None else note
    return {
        "update_id": f"s{event.id}" + (f"-{report.public_id}" if inherited else ""),
        "service_request_id": report.public_id,
        "status": EXTENDED_STATUS.get(status, "open"),
        "updated_datetime": event.created_at,
        "description": note or status_notes(_Shown(status)),
        "media_url": "",
        "external_status_code": status,
    }


def find_updates(api_key_id: int, args, now: datetime | None = None) -> list[dict]:
    """GET servicerequestupdates: the updates of this client's reports in the window (start_date, end_date:
    at most 90 days, default the last 90), newest first, at most MAX_RESULTS + 1 (one more: the limit was
    hit)."""
    start, end = parse_window(args, now or datetime.now(UTC))
    original = aliased(Report)
    own = and_(StatusEvent.report_id == Report.id, StatusEvent.from_status.is_not(None))
    # a duplicate's client follows the report it joined from the moment it joined
    joined = and_(Report.status == "duplicate", StatusEvent.report_id == Report.duplicate_of_id,
                  StatusEvent.created_at > Report.created_at)
    rows = db.session.execute(
        select(StatusEvent, Report, original)
        .join(Report, or_(own, joined))
        .outerjoin(original, Report.duplicate_of_id == original.id)
        .where(Report.api_key_id == api_key_id, StatusEvent.created_at >= start, StatusEvent.created_at <= end)
        .order_by(StatusEvent.created_at.desc(), StatusEvent.id.desc()).limit(open311.MAX_RESULTS + 1)).all()
    return [_entry(event, report, orig) for event, report, orig in rows]


def _text(form, name: str, limit: int, required: bool = False) -> str | None:
    value = (form.get(name) or "").strip() or None
    if required and value is None:
        raise Open311Error(400, _("%(name)s fehlt.", name=name))
    if value is not None and len(value) > limit:
        raise Open311Error(400, _("%(name)s ist zu lang (höchstens %(n)d Zeichen).", name=name, n=limit))
    return value


def post_update(api_key_id: int, form) -> dict:
    """POST servicerequestupdates: store the client's comment on its report (for staff; never published). A
    retry with the same `update_id` (or FixMyStreet's `update_id_ext`) stores nothing new and answers the
    same update_id."""
    request_id = (_text(form, "service_request_id", 40, required=True) or "").lower()
    report = db.session.scalar(select(Report).where(Report.public_id == request_id,
                                                    Report.api_key_id == api_key_id))
    if report is None:
        raise Open311Error(404, _("Keine Meldung mit der ID %(id)s von diesem Client.", id=request_id))
    description = _text(form, "description", MAX_COMMENT, required=True)
    client_id = _text(form, "update_id", 100) or _text(form, "update_id_ext", 100)
    status = _text(form, "status", 40)
    media_url = checked_media_url(form.get("media_url"))
    updated = parse_datetime("updated_datetime", form.get("updated_datetime"))
    if client_id is not None:
        known = db.session.scalar(select(ReportComment).where(ReportComment.api_key_id == api_key_id,
                                                              ReportComment.client_update_id == client_id))
        if known is not None:
            return {"update_id": f"c{known.id}"}
    comment = ReportComment(report_id=report.id, api_key_id=api_key_id, client_update_id=client_id,
                            client_status=status, description=description, media_url=media_url,
                            client_updated_at=updated)
    db.session.add(comment)
    db.session.flush()
    return {"update_id": f"c{comment.id}"}
