"""What a client sees while the database cannot be reached: 503 with Retry-After, never a 500.

A database that does not answer (refused or lost connections, a server shutting down or starting up, too
many connections, a full pool) is an outage, not a bug: the answer is 503 with `Retry-After`, JSON for the
API, the Open311 error format for Open311, and a short page for browsers; the log gets one line per failed
request, no traceback. A GET says only that the data cannot be read now. A request that changes something
says that it could not be completed and should be sent again: a lost connection may have taken the
acknowledgement of a commit with it, and the same `Idempotency-Key` makes the retry safe either way.
"""
import logging

import psycopg
import sqlalchemy.exc
from flask import current_app, g, request
from flask_babel import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it wraps) means the database could not be reached or lost the connection."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no connection free in the pool: overloaded
            return True
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        exc = getattr(exc, "orig", None) or getattr(exc, "original_exception", None) or exc.__cause__
        seen += 1
    return False


def describe(exc: BaseException) -> str:
    """One short line naming the failure (for the log): class, SQLSTATE and the first line of the message."""
    inner = exc
    while getattr(inner, "orig", None) is not None or getattr(inner, "original_exception", None) is not None:
        inner = getattr(inner, "orig", None) or inner.original_exception
    state = getattr(getattr(inner, "diag", None), "sqlstate", None) if isinstance(inner, psycopg.Error) else None
    first = (str(inner).strip().splitlines() or [""])[0][:200]
    return f"{type(inner).__name__}{f' {state}' if state else ''}: {first}"


def message() -> str:
    """What the client is told: for reads that nothing could be read, for writes to send the request again."""
    if request.method in SAFE_METHODS:
        return _("Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Sekunden erneut.")
    return _("Die Datenbank ist gerade nicht erreichbar, daher konnte Ihre Anfrage nicht abgeschlossen werden. "
             "Bitte senden Sie sie in einigen Sekunden noch einmal; mit demselben Idempotency-Key wird nichts "
             "doppelt gespeichert.")


def unavailable_response(exc: BaseException):
    """Log one line and answer 503 with Retry-After in the client's format."""
    from app.errors import error_response

    log.warning("database unreachable: %s %s -> 503 (%s)", request.method, request.path, describe(exc))
    # Render pages as for an anonymous visitor: loading the logged-in user would need the database.
    g._login_user = current_app.login_manager.anonymous_user()
    return error_response([(None, message())], 503, template="unavailable.html",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, retry_after=RETRY_AFTER_SECONDS)
