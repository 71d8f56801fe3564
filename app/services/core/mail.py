"""Outgoing e-mail: SMTP when SMTP_HOST is set, else .eml files in MAIL_OUTBOX_DIR (development).

Messages are queued on the database session and only sent after it commits, so a rolled-back change
never sends a message about something that did not happen.
"""
import logging
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_QUEUE = "outgoing_mail"


def build_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    """A plain-text UTF-8 message."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str, config=None) -> None:
    """Send one message now: over SMTP when SMTP_HOST is configured, else into the outbox folder."""
    config = config if config is not None else current_app.config
    msg = build_message(to, subject, body, config["MAIL_FROM"])
    if config["SMTP_HOST"]:
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=15) as smtp:
            smtp.send_message(msg)
        log.info("mail sent over SMTP: %s", subject)
        return
    outbox = Path(config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:8]}.eml"
    (outbox / name).write_bytes(bytes(msg))
    log.info("mail written to the outbox: %s", outbox / name)


def queue_mail(session, to: str, subject: str, body: str) -> None:
    """Send a message once `session` commits (dropped when it rolls back)."""
    session.info.setdefault(_QUEUE, []).append((to, subject, body))


@event.listens_for(Session, "after_commit")
def _send_queued(session):
    queued = session.info.pop(_QUEUE, None)
    if not queued or not has_app_context():
        return
    for to, subject, body in queued:
        try:
            send_mail(to, subject, body)
        except (OSError, smtplib.SMTPException):  # a mail problem never undoes a stored report
            log.exception("could not send mail %r", subject)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE, None)
