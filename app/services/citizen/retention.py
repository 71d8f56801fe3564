"""Keeping reporters' personal data no longer than promised."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.extensions import db
from app.models import OPEN_SQL


def purge_reporter_contacts(older_than: timedelta = timedelta(days=90)) -> int:
    """Forget reporters' e-mail addresses of reports finished longer ago than `older_than`; returns how many."""
    cutoff = datetime.now(UTC) - older_than
    result = db.session.execute(text(
        "UPDATE reports SET reporter_email = NULL, reporter_name = NULL, reporter_phone = NULL, "
        "reporter_locale = NULL WHERE closed_at < :cutoff "
        "AND (reporter_email IS NOT NULL OR reporter_name IS NOT NULL OR reporter_phone IS NOT NULL) "
        "AND (status IN ('closed', 'rejected') OR (status = 'duplicate' AND NOT EXISTS ("
        f"  SELECT 1 FROM reports o WHERE o.id = reports.duplicate_of_id AND (o.status IN ({OPEN_SQL}) "
        "   OR o.closed_at IS NULL OR o.closed_at >= :cutoff))))"),
        {"cutoff": cutoff})
    db.session.execute(text("DELETE FROM idempotency_keys WHERE created_at < :c"),
                       {"c": datetime.now(UTC) - timedelta(days=7)})
    return result.rowcount
