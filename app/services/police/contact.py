"""Reporter contact data for police: shown only on an explicit request, and every access is logged."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.extensions import db
from app.models import ContactAccess, Report, User

log = logging.getLogger(__name__)
MAX_REASON = 500


def has_contact(report: Report) -> bool:
    """Whether the reporter left any contact data."""
    return bool(report.reporter_email or report.reporter_name or report.reporter_phone)


def reveal_contact(report: Report, user: User, reason: str | None) -> dict:
    """Log the access (who, when, which report, why) and return the reporter's contact data."""
    reason = (reason or "").strip()[:MAX_REASON] or None
    db.session.add(ContactAccess(user_id=user.id, report_id=report.id, reason=reason))
    db.session.flush()
    log.info("user %s viewed the reporter contact of report %s", user.id, report.id)
    return {"name": report.reporter_name, "email": report.reporter_email, "phone": report.reporter_phone}


def access_log(page: int = 1, per_page: int = 100, report_id: int | None = None):
    """Contact accesses, newest first: (entries with user e-mail, total count)."""
    q = (select(ContactAccess, User.email).join(User, User.id == ContactAccess.user_id)
         .order_by(ContactAccess.accessed_at.desc(), ContactAccess.id.desc()))
    count = select(func.count()).select_from(ContactAccess)
    if report_id:
        q = q.where(ContactAccess.report_id == report_id)
        count = count.where(ContactAccess.report_id == report_id)
    rows = db.session.execute(q.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, db.session.scalar(count)
