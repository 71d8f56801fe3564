"""Single-statement units of work on autocommit connections (the citizen report hot path).

A citizen report is stored by one SQL statement (the report, its first audit-trail event and its photo
rows), which PostgreSQL runs as a transaction of its own. Sent on an autocommit connection, that is one
round trip to the database, without the BEGIN and COMMIT round trips and the ORM session work around
them that a session transaction costs.

The connections come from a small pool of their own (one per app and process), created on first use from
the app's database URL. Instead of SQLAlchemy's pre-ping (a query, so one more round trip per checkout),
a connection is checked without a round trip: an idle connection whose socket has something to read has
been closed or terminated by the server (a restart, an administrator), so it is dropped and another one
is taken. A statement that fails on a connection (whatever the reason) throws that connection away and
the error reaches the caller; nothing is retried, so nothing can be stored twice.

Callers that are already inside a unit of work (a session transaction, or a session bound to a
connection by a caller that owns the transaction, as the test suite does) must not use this: see
`available()`.
"""
from __future__ import annotations

import select
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

from app.extensions import db

_EXTENSION = "autocommit_engine"
APPLICATION_NAME = "graffiti-autocommit"  # shows in pg_stat_activity


def available() -> bool:
    """Whether a statement may commit on its own: no session transaction, and sessions are bound to an engine.

    (Answered without creating a session when none exists yet for this request.)
    """
    scoped = db.session
    if isinstance(scoped.session_factory.kw.get("bind"), Connection):
        return False  # the caller owns the transaction the session is bound to
    return not (scoped.registry.has() and scoped().in_transaction())


def _engine() -> Engine:
    engine = current_app.extensions.get(_EXTENSION)
    if engine is None:
        main = db.engine
        engine = create_engine(main.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                               pool_reset_on_return=None, pool_size=main.pool.size(),
                               connect_args={"application_name": APPLICATION_NAME})
        current_app.extensions[_EXTENSION] = engine
    return engine


def _closed_by_server(conn) -> bool:
    """True when an idle connection has input waiting: the server closed it or sent a termination notice."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()  # not select.select: it fails for descriptors above 1023
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


@contextmanager
def connection():
    """A psycopg connection in autocommit mode from the app's autocommit pool (each statement commits)."""
    pool = _engine()
    for _attempt in range(pool.pool.size() + 2):
        fairy = pool.raw_connection()
        if not _closed_by_server(fairy.driver_connection):
            break
        fairy.invalidate()
    else:  # every pooled connection was dead and so was a fresh one: let the driver say why
        fairy = pool.raw_connection()
    try:
        yield fairy.driver_connection
    except BaseException:
        fairy.invalidate()  # its state is unknown: never hand it out again
        raise
    finally:
        fairy.close()


def dispose(app) -> None:
    """Close the autocommit pool of `app` (tests and shutdown)."""
    engine = app.extensions.pop(_EXTENSION, None)
    if engine is not None:
        engine.dispose()
