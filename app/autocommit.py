"""Single-statement units of work on autocommit connections (the citizen report hot path).

A citizen report is stored by one SQL statement (the report, its first audit-trail event and its photo
rows), which PostgreSQL runs as a transaction of its own. Sent on an autocommit connection, that is one
round trip to the database, without the BEGIN and COMMIT round trips and the ORM session work around
them that a session transaction costs.

The connections are plain psycopg connections kept in a small pool of their own (one per app and
process, at most the main pool's size kept idle), created on first use from the app's database URL. Taking
one is a lock and a list pop: no SQLAlchemy pool events, and instead of a pre-ping (a query, so one more
round trip) a connection is checked without a round trip: an idle connection whose socket has something to
read has been closed or terminated by the server (a restart, an administrator), so it is dropped and
another one is taken. A statement that fails on a connection (whatever the reason) closes that connection
and the error reaches the caller; nothing is retried, so nothing can be stored twice.

Callers that are already inside a unit of work (a session transaction, or a session bound to a
connection by a caller that owns the transaction, as the test suite does) must not use this: see
`available()`.
"""
from __future__ import annotations

import os
import select
import threading
from contextlib import contextmanager

import psycopg
from flask import current_app
from sqlalchemy.engine import Connection

from app.extensions import db

_EXTENSION = "autocommit_pool"
APPLICATION_NAME = "graffiti-autocommit"  # shows in pg_stat_activity


def available() -> bool:
    """Whether a statement may commit on its own: no session transaction, and sessions are bound to an engine.

    (Answered without creating a session when none exists yet for this request.)
    """
    scoped = db.session
    if isinstance(scoped.session_factory.kw.get("bind"), Connection):
        return False  # the caller owns the transaction the session is bound to
    return not (scoped.registry.has() and scoped().in_transaction())


def _closed_by_server(conn: psycopg.Connection) -> bool:
    """True when an idle connection has input waiting: the server closed it or sent a termination notice."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()  # not select.select: it fails for descriptors above 1023
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class Pool:
    """Idle autocommit connections of one process; at most `keep` are kept, more are opened when needed."""

    def __init__(self, conninfo: str, keep: int):
        self.conninfo, self.keep = conninfo, keep
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.opened = self.discarded = 0   # counters for tests and diagnostics

    def _connect(self) -> psycopg.Connection:
        self.opened += 1
        return psycopg.connect(self.conninfo, autocommit=True, application_name=APPLICATION_NAME)

    def take(self) -> psycopg.Connection:
        """An idle connection that the server has not closed, else a new one."""
        if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use (or to close)
            self._idle, self._pid = [], os.getpid()
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            if not _closed_by_server(conn):
                return conn
            self.discard(conn)

    def give_back(self, conn: psycopg.Connection) -> None:
        with self._lock:
            if len(self._idle) < self.keep and self._pid == os.getpid():
                self._idle.append(conn)
                return
        conn.close()

    def discard(self, conn: psycopg.Connection) -> None:
        self.discarded += 1
        try:
            conn.close()
        except psycopg.Error:
            pass

    def idle(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _pool() -> Pool:
    pool = current_app.extensions.get(_EXTENSION)
    if pool is None:
        main = db.engine
        url = main.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = Pool(url, keep=main.pool.size())
        current_app.extensions[_EXTENSION] = pool
    return pool


@contextmanager
def connection():
    """A psycopg connection in autocommit mode from the app's autocommit pool (each statement commits)."""
    pool = _pool()
    conn = pool.take()
    try:
        yield conn
    except BaseException:
        pool.discard(conn)  # its state is unknown: never hand it out again
        raise
    pool.give_back(conn)


def dispose(app) -> None:
    """Close the autocommit pool of `app` (tests and shutdown)."""
    pool = app.extensions.pop(_EXTENSION, None)
    if pool is not None:
        pool.close()
