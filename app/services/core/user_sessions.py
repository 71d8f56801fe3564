"""Server-side logins: a row per login in `user_sessions`, named in the signed session cookie by a random token.

A signed cookie alone cannot be taken back: it worked after logout, a password reset or a role change. Here the
cookie holds a token whose SHA-256 names a row; the row's absence ends the session everywhere at once. A
session ends after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after the login, whichever
comes first. `last_seen_at` is written at most once a minute per session, on its own short transaction (a page
that only reads commits nothing of its own).
"""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import User, UserSession

TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    c = current_app.config
    return timedelta(minutes=c["SESSION_IDLE_MINUTES"]), timedelta(hours=c["SESSION_MAX_HOURS"])


def start_session(user: User) -> str:
    """A new session of `user`; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    db.session.flush()
    return token


def session_user(token: str | None, user_id) -> User | None:
    """The active user of a live session named by `token` (and belonging to `user_id`), else None."""
    if not token or not isinstance(token, str):
        return None
    idle, absolute = _limits()
    now = datetime.now(UTC)
    row = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id).where(
            UserSession.token_hash == _hash(token), UserSession.created_at > now - absolute,
            UserSession.last_seen_at > now - idle)).first()
    if row is None or str(row.User.id) != str(user_id) or not row.User.active:
        return None
    if now - row.UserSession.last_seen_at >= TOUCH_EVERY:
        with db.engine.begin() as conn:  # committed now, whatever the request does with its own transaction
            conn.execute(update(UserSession).where(UserSession.token_hash == row.UserSession.token_hash)
                         .values(last_seen_at=now))
    return row.User


def end_session(token: str | None) -> None:
    """End the session named by `token`."""
    if token and isinstance(token, str):
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))


def end_sessions_of(user_id: int) -> int:
    """End every session of the user; how many there were."""
    return db.session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount


def forget_expired_sessions() -> int:
    """Delete the rows of sessions past their idle or absolute timeout (housekeeping)."""
    idle, absolute = _limits()
    now = datetime.now(UTC)
    return db.session.execute(delete(UserSession).where(
        (UserSession.created_at <= now - absolute) | (UserSession.last_seen_at <= now - idle))).rowcount
