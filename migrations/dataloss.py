"""Downgrades that cannot keep data say so and stop, unless forced.

A downgrade that drops a column or a table destroys what is in it, and upgrading again brings the column
back empty: for `idempotency_keys.request_hash` that silently turns off the "same key, different request"
check. So each such downgrade first counts the rows that hold data it would destroy and stops with a message
naming them (the whole migration run is one transaction: nothing has changed). Forced with
`flask db downgrade REVISION -x force=yes` (Python: `downgrade(revision, x_arg=["force=yes"])`) after a
backup (docs/operations.md).
"""
import logging

from alembic import context, op
from alembic.util import CommandError
from sqlalchemy import text


def forced() -> bool:
    """Whether this run was started with `-x force=yes`."""
    return context.get_x_argument(as_dictionary=True).get("force", "").lower() in ("yes", "true", "1")


def refuse_to_lose(revision: str, checks: list[tuple[str, str]]) -> None:
    """Stop the downgrade of `revision` when any check counts rows; `checks`: (what is lost, counting SQL)."""
    bind = op.get_bind()
    lost = [(what, n) for what, sql in checks if (n := bind.execute(text(sql)).scalar())]
    if not lost:
        return
    listing = "; ".join(f"{what}: {n} rows" for what, n in lost)
    if forced():
        logging.getLogger("alembic.dataloss").warning("downgrade of %s forced; data lost: %s", revision, listing)
        return
    raise CommandError(
        f"downgrading below revision {revision} would destroy data that upgrading again cannot bring back "
        f"({listing}). Nothing was changed. Make a backup first (docs/operations.md), then run the downgrade "
        f"again with -x force=yes if you mean it.")


def rows_in(table: str) -> tuple[str, str]:
    """A check for a table that is dropped: all of its rows."""
    return f"table {table}", f"SELECT count(*) FROM {table}"


def filled(table: str, column: str, meaning: str) -> tuple[str, str]:
    """A check for a column that is dropped: its rows that hold a value."""
    return f"{table}.{column} ({meaning})", f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL"
