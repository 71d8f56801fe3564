"""Periodic housekeeping inside the service, so that no cron job is needed for the privacy promise.

Every HOUSEKEEPING_HOURS (default 24; 0 turns it off; off by default when TESTING) each worker process,
after sending the response of a request, forgets the contact data of reports finished more than 90 days
ago, drops stale idempotency keys (`purge_reporter_contacts`, also `flask public purge-contacts`),
deletes failed logins older than a day (`forget_old_login_attempts`) and ended logins
(`forget_expired_sessions`) and brings the photo files in line with
their rows (`sweep_photos`, also `flask sweep-photos`).
A PostgreSQL advisory lock lets only one process at a time do it; the first request after a start runs it.
"""
import logging
import threading
import time

from flask import Flask
from sqlalchemy import text

from app import outage
from app.extensions import db

log = logging.getLogger(__name__)
LOCK_KEY = 7_302_011  # pg advisory lock of the purge (any constant unique to this service)


class _Schedule:
    """When the job is next due in this process (thread-safe)."""

    def __init__(self, every_s: float):
        self.every_s = every_s
        self.due = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        """Whether the job is due now; if so, the next run is one interval later."""
        now = time.monotonic()
        if now < self.due:
            return False
        with self.lock:
            if now < self.due:
                return False
            self.due = now + self.every_s
            return True


def run_once(app: Flask) -> int | None:
    """The housekeeping job in its own app context and transaction; how many reports lost their contact
    data (None when another process holds the lock or the job failed: it is logged and retried next time)."""
    from app.services.citizen.photo_files import sweep_photos
    from app.services.citizen.retention import purge_reporter_contacts
    from app.services.core.accounts import forget_old_login_attempts
    from app.services.core.user_sessions import forget_expired_sessions

    with app.app_context():
        try:
            if not db.session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar():
                db.session.rollback()
                return None
            n = purge_reporter_contacts()
            attempts = forget_old_login_attempts()
            forget_expired_sessions()
            sweep_photos()
            db.session.commit()
        except Exception as exc:  # housekeeping must never break a request
            db.session.rollback()
            if outage.database_unreachable(exc):
                log.warning("housekeeping skipped, database unreachable (%s)", outage.describe(exc))
            else:
                log.exception("housekeeping failed")
            return None
    if n or attempts:
        log.info("housekeeping: contact data removed from %d reports, %d old failed logins deleted", n, attempts)
    return n


def init_app(app: Flask) -> None:
    """Run the job after responses, at most once per HOUSEKEEPING_HOURS per process."""
    hours = float(app.config["HOUSEKEEPING_HOURS"] or 0)
    if hours <= 0:
        return
    schedule = _Schedule(hours * 3600)
    app.extensions["housekeeping"] = schedule

    @app.after_request
    def _maybe_housekeep(response):
        if schedule.take():
            response.call_on_close(lambda: run_once(app))  # after the response has been sent
        return response
