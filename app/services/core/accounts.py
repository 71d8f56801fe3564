"""Creating users and checking logins, with growing waits after failures.

Failed logins are counted per account and address together (MAX_FAILURES, then waits of 2 s, 4 s, 8 s ... up to
MAX_WAIT since the last failure) and per address over all accounts (ADDRESS_FAILURES, then the same waits;
public addresses only, IPv6 by /64, as REPORT_RATE_LIMIT counts them). Failures from other addresses never
make the real user wait: an attacker can slow down only their own address. Unknown e-mail addresses cost the
same password-hash work as known ones, so the answer's timing does not tell which accounts exist.
"""
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import cast, delete, func, select
from sqlalchemy.dialects.postgresql import INET

from app.extensions import db
from app.models import ROLES, LoginAttempt, User
from app.services.core.passwords import MIN_LENGTH, hash_password, verify_password

MAX_FAILURES = 5          # failures of one account from one address before the waits begin
ADDRESS_FAILURES = 20     # failures from one address, any accounts, before the waits begin
FIRST_WAIT = timedelta(seconds=2)
MAX_WAIT = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(hours=1)  # failures older than this no longer count
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


def _wait_after(failures: int, free: int) -> timedelta:
    """How long to wait after the last of `failures`, `free` of them without a wait."""
    if failures < free:
        return timedelta(0)
    return min(MAX_WAIT, FIRST_WAIT * 2 ** min(failures - free, 20))


def _remaining(condition, free: int, now: datetime) -> float:
    count, last = db.session.execute(select(func.count(), func.max(LoginAttempt.attempted_at)).where(
        LoginAttempt.attempted_at >= now - FAILURE_WINDOW, condition)).one()
    if not count:
        return 0.0
    return max(0.0, (last + _wait_after(count, free) - now).total_seconds())


def login_wait(email: str, remote_addr: str | None) -> int:
    """Seconds before this e-mail may try again from this address (0: now)."""
    from app.ratelimit import limit_key

    now = datetime.now(UTC)
    wait = _remaining((LoginAttempt.email == email) & (LoginAttempt.remote_addr == remote_addr), MAX_FAILURES, now)
    key = limit_key(remote_addr)
    if key is not None:  # public addresses only: behind a proxy without PROXY_HOPS all clients share one
        same_place = (cast(LoginAttempt.remote_addr, INET).op("<<=")(cast(key, INET)) if "/" in key
                      else LoginAttempt.remote_addr == key)
        wait = max(wait, _remaining(same_place, ADDRESS_FAILURES, now))
    return math.ceil(wait)


def forget_old_login_attempts() -> int:
    """Delete failed logins older than ATTEMPT_RETENTION (they hold e-mail and network addresses)."""
    cutoff = datetime.now(UTC) - ATTEMPT_RETENTION
    return db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff)).rowcount


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    """A hash no password matches, made with the same parameters as real ones (checked for unknown e-mails)."""
    import secrets

    return hash_password(secrets.token_urlsafe(24))


def authenticate(email: str, password: str, remote_addr: str | None) -> User | None:
    """The active user with these credentials, or None (and the failure is recorded). The same hash work is
    done whether the e-mail belongs to an account or not."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    matches = verify_password(user.password_hash if user is not None else _unknown_user_hash(), password or "")
    if user is not None and user.active and matches:
        # this address's failures for the account are forgiven; other addresses' still count for them
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email,
                                                      LoginAttempt.remote_addr == remote_addr))
        user.last_login_at = datetime.now(UTC)
        return user
    db.session.add(LoginAttempt(email=email[:254], remote_addr=remote_addr, attempted_at=datetime.now(UTC)))
    return None
