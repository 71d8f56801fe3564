"""Creating users and checking logins (with a rate limit on failures)."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import ROLES, LoginAttempt, User
from app.services.core.passwords import MIN_LENGTH, hash_password, verify_password

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
ATTEMPT_RETENTION = timedelta(days=1)  # failed logins (with addresses) kept a day for looking into an attack


class AccountError(ValueError):
    """A user cannot be created or changed as asked."""


def create_user(email: str, password: str, role: str, display_name: str | None = None) -> User:
    """Create (or reset the password and role of) a user; resetting ends all of the user's sessions."""
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < MIN_LENGTH:
        raise AccountError(f"the password needs at least {MIN_LENGTH} characters")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email)
        db.session.add(user)
    else:  # a new password or role: every login made with the old ones ends
        from app.services.core.user_sessions import end_sessions_of

        end_sessions_of(user.id)
    user.password_hash = hash_password(password)
    user.role = role
    user.display_name = display_name or email.split("@")[0]
    user.active = True
    db.session.flush()
    return user


def too_many_failures(email: str, remote_addr: str | None) -> bool:
    """Whether this e-mail or address failed too often within the window."""
    since = datetime.now(UTC) - FAILURE_WINDOW
    count = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.attempted_at >= since,
            (LoginAttempt.email == email) | (LoginAttempt.remote_addr == remote_addr),
        )
    )
    return count >= MAX_FAILURES


def forget_old_login_attempts() -> int:
    """Delete failed logins older than ATTEMPT_RETENTION (they hold e-mail and network addresses)."""
    cutoff = datetime.now(UTC) - ATTEMPT_RETENTION
    return db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff)).rowcount


def authenticate(email: str, password: str, remote_addr: str | None) -> User | None:
    """The active user with these credentials, or None (and the failure is recorded)."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.active and verify_password(user.password_hash, password or ""):
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        user.last_login_at = datetime.now(UTC)
        return user
    db.session.add(LoginAttempt(email=email[:254], remote_addr=remote_addr))
    return None
