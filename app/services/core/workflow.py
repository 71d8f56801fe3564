"""The status workflow of a report/job: legal transitions, the audit trail, re-tagging."""
from datetime import UTC, datetime, timedelta

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import exists, select

from app import labels
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Removal, Report, StatusEvent
from app.services.core.workdays import local_date

TRANSITIONS = {
    "new": {"verified", "rejected", "duplicate"},
    "verified": {"scheduled", "notify_owner", "rejected", "duplicate"},
    "scheduled": {"removed", "verified"},
    "removed": {"closed", "scheduled"},
    "notify_owner": {"closed", "scheduled"},
    "rejected": {"new"},
    "duplicate": {"new", "closed"},
    "closed": set(),
}
RETAG_WINDOW = timedelta(days=90)
MAX_PUBLIC_MESSAGE = 2000

signals = Namespace()
# Sent after every status change with report= and event=; e-mail notifications listen to it.
status_changed = signals.signal("status-changed")


class WorkflowError(ValueError):
    """An illegal status transition; the message says what is allowed."""


def change_status(report: Report, to_status: str, user=None, note: str | None = None,
                  at: datetime | None = None, public_reply: str | None = None,
                  public_message: str | None = None) -> StatusEvent:
    """Move `report` to `to_status`, writing a status event (who, when, from, to, internal note, and what the
    citizen is told: a canned reply's code of labels.PUBLIC_REPLY and/or free text)."""
    public_reply, public_message = checked_public_message(public_reply, public_message)
    allowed = TRANSITIONS.get(report.status, set())
    if to_status not in allowed:
        options = ", ".join(labels.status_label(s) for s in sorted(allowed)) or _("keiner (Endzustand)")
        raise WorkflowError(_("Eine Meldung im Status „%(status)s“ kann nicht „%(to)s“ werden. Erlaubt: %(allowed)s.",
                              status=labels.status_label(report.status), to=labels.status_label(to_status),
                              allowed=options))
    at = at or datetime.now(UTC)
    event = StatusEvent(report=report, user_id=getattr(user, "id", None), from_status=report.status,
                        to_status=to_status, note=note, public_reply=public_reply, public_message=public_message,
                        created_at=at)
    report.status = to_status
    report.updated_at = at
    if to_status == "removed":
        report.removed_at = at
    if to_status in ("closed", "rejected", "duplicate"):
        report.closed_at = at
    elif to_status == "new":
        report.closed_at = None
    db.session.add(event)
    db.session.flush()
    status_changed.send(report, report=report, event=event)
    return event


def checked_public_message(reply: str | None, message: str | None) -> tuple[str | None, str | None]:
    """A canned reply's code and free text for the citizen, stripped; empty ones are None, unknown codes and
    overlong texts are refused."""
    reply = (reply or "").strip() or None
    message = (message or "").strip() or None
    errors = []
    if reply is not None and reply not in labels.PUBLIC_REPLY:
        errors.append(("public_reply", _("Unbekannte Standardantwort „%(value)s“.", value=reply)))
    if message is not None and len(message) > MAX_PUBLIC_MESSAGE:
        errors.append(("public_message", _("Die Nachricht an den Bürger ist zu lang (höchstens %(n)d Zeichen).",
                                           n=MAX_PUBLIC_MESSAGE)))
    if errors:
        raise ValidationFailed(errors)
    return reply, message


def public_text(event: StatusEvent) -> str | None:
    """What the citizen is told with a status change, in the current language: the canned reply, then the free
    text; None when nothing."""
    parts = [labels.label(labels.PUBLIC_REPLY, event.public_reply) if event.public_reply else None,
             event.public_message]
    return "\n\n".join(p for p in parts if p) or None


def record_creation(report: Report, at: datetime | None = None) -> StatusEvent:
    """The first audit-trail entry of a new report."""
    event = StatusEvent(report=report, from_status=None, to_status=report.status,
                        created_at=at or datetime.now(UTC))
    db.session.add(event)
    return event


def is_retag(building_id: int | None, at: datetime) -> bool:
    """Whether a report on `building_id` at `at` hits a building cleaned within the last 90 days."""
    if building_id is None:
        return False
    return bool(db.session.scalar(select(exists().where(
        Removal.report_id == Report.id, Report.building_id == building_id,
        Removal.removed_on >= local_date(at - RETAG_WINDOW), Removal.removed_on <= local_date(at)))))
