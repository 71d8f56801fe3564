"""API keys for Open311 clients: shown once, stored as a SHA-256 hash, revocable."""
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey

PREFIX_LEN = 8


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(name: str) -> tuple[ApiKey, str]:
    """A new key for client `name`; returns the row and the plain key (never stored)."""
    name = (name or "").strip()
    if not name:
        raise ValueError("an API key needs a name (the client's or organisation's)")
    plain = secrets.token_urlsafe(32)
    row = ApiKey(name=name[:200], prefix=plain[:PREFIX_LEN], key_hash=_digest(plain))
    db.session.add(row)
    db.session.flush()
    return row, plain


def find_active_key(plain: str | None) -> ApiKey | None:
    """The active key row matching `plain`, or None."""
    if not plain or len(plain) < PREFIX_LEN:
        return None
    digest = _digest(plain)
    for row in db.session.scalars(select(ApiKey).where(ApiKey.prefix == plain[:PREFIX_LEN],
                                                       ApiKey.revoked_at.is_(None))):
        if hmac.compare_digest(row.key_hash, digest):
            return row
    return None


def revoke_api_keys(name_or_prefix: str) -> int:
    """Revoke the active keys with this name or prefix; returns how many."""
    rows = db.session.scalars(select(ApiKey).where(
        ApiKey.revoked_at.is_(None), (ApiKey.name == name_or_prefix) | (ApiKey.prefix == name_or_prefix))).all()
    now = datetime.now(UTC)
    for row in rows:
        row.revoked_at = now
    db.session.flush()
    return len(rows)


def list_api_keys() -> list[ApiKey]:
    """All keys, newest first."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))
