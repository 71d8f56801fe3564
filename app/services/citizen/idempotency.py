"""Idempotency keys: a repeated request with the same key gets the first answer and changes nothing."""
import json

from flask_babel import gettext as _
from sqlalchemy import text

from app.errors import ValidationFailed
from app.extensions import db


def check_key(key: str | None) -> str | None:
    """The key stripped, None without one; ValidationFailed when it is not 1-200 visible ASCII characters."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200 or not key.isascii() or not key.isprintable():
        raise ValidationFailed([("Idempotency-Key", _("Der Idempotency-Key muss 1 bis 200 sichtbare "
                                                      "ASCII-Zeichen lang sein."))])
    return key


def claim_key(key: str, endpoint: str, request_hash: str):
    """Reserve `key` in this transaction; returns the first answer (status, body) when it was used before.

    The insert waits for a concurrent request holding the same key, so two retries never both create.
    """
    claimed = db.session.execute(text(
        "INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
        "VALUES (:k, :e, 0, '{}'::jsonb, :h) ON CONFLICT DO NOTHING RETURNING key"),
        {"k": key, "e": endpoint, "h": request_hash}).scalar()
    if claimed is not None:
        return None
    row = db.session.execute(text(
        "SELECT status_code, body, request_hash FROM idempotency_keys WHERE key = :k AND endpoint = :e"),
        {"k": key, "e": endpoint}).one()
    if row.request_hash and row.request_hash != request_hash:
        raise ValidationFailed([("Idempotency-Key", _("Dieser Idempotency-Key wurde schon für eine andere "
                                                      "Anfrage verwendet."))], 422)
    return row.status_code, row.body


def store_answer(key: str, endpoint: str, status_code: int, body: dict) -> None:
    """Record the answer given for `key`, so that a retry gets it again."""
    db.session.execute(text(
        "UPDATE idempotency_keys SET status_code = :s, body = CAST(:b AS jsonb) WHERE key = :k AND endpoint = :e"),
        {"s": status_code, "b": json.dumps(body), "k": key, "e": endpoint})
