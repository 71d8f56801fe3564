"""Messages to reporters: the receipt of a report and a note on every status change, in their language."""
import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.city import current_city
from app.extensions import db
from app.labels import category_label, status_label
from app.models import Report
from app.services.core.mail import queue_mail, send_mail
from app.services.core.workflow import public_text, status_changed

log = logging.getLogger(__name__)


def status_link(token: str) -> str:
    """The absolute (when PUBLIC_BASE_URL or a request is known) link to a report's status page."""
    from app.security import public_base

    return public_base() + f"/r/{token}"


def received_mail(clean: dict, row: dict) -> tuple[str, str]:
    """Subject and body of the "we have received your report" message, in the reporter's language."""
    with force_locale(row["reporter_locale"] or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Ihre Meldung ist eingegangen (%(category)s)", category=category_label(clean["category"]))
        body = _("Vielen Dank für Ihre Meldung an %(city)s.\n\nStatus: %(status)s\nHier verfolgen Sie, was "
                 "passiert: %(link)s\n\nSie erhalten eine kurze Nachricht, wenn sich der Status ändert.",
                 city=current_city().name, status=status_label(row["status"]), link=status_link(row["token"]))
    return subject, body


def send_received_mail(clean: dict, row: dict) -> None:
    """Send the confirmation of a committed report; a mail problem never undoes or hides the stored report."""
    if not clean["email"]:
        return
    try:
        send_mail(clean["email"], *received_mail(clean, row))
    except Exception:  # noqa: BLE001 - the report is stored; the reporter still has the status link
        log.exception("could not send the confirmation of report %s", row["id"])


def notify_status_change(sender, report: Report, event, **_kw) -> None:
    """Receiver of workflow.status_changed: a short message to the reporter and to reporters of duplicates, with
    what the city tells the citizen (in the reporter's language)."""
    recipients = [(report.reporter_email, report.reporter_locale, report.token)] if report.reporter_email else []
    if report.id is not None:
        recipients += db.session.execute(
            select(Report.reporter_email, Report.reporter_locale, Report.token)
            .where(Report.duplicate_of_id == report.id, Report.status == "duplicate",
                   Report.reporter_email.is_not(None))).all()
    for email, locale, token in recipients:
        with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Ihre Meldung: %(status)s", status=status_label(event.to_status))
            parts = [_("Der Status der Meldung (%(category)s) hat sich geändert: %(status)s.",
                       category=category_label(report.category), status=status_label(event.to_status))]
            message = public_text(event)
            if message:
                parts.append(_("Nachricht der Stadt %(city)s:", city=current_city().name) + "\n" + message)
            parts.append(_("Verlauf und Fotos: %(link)s", link=status_link(token)))
        queue_mail(db.session, email, subject, "\n\n".join(parts))


status_changed.connect(notify_status_change)
