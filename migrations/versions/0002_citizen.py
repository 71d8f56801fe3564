"""citizen area: the reporter's language for status e-mails, a fingerprint of idempotent requests

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Status e-mails are written in the language the citizen used when reporting.
    op.add_column("reports", sa.Column("reporter_locale", sa.String(length=8), nullable=True))
    # A retry with the same Idempotency-Key but a different request is refused instead of replayed.
    op.add_column("idempotency_keys", sa.Column("request_hash", sa.String(length=64), nullable=True))
    # Finding the duplicates of a report (notifications, status page) and counting confirmations.
    op.create_index("ix_reports_open_building", "reports", ["building_id", "created_at"],
                    postgresql_where=sa.text("status IN ('new', 'verified', 'scheduled', 'notify_owner')"))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0002", [
        filled("idempotency_keys", "request_hash", "refuses a key reused for another request"),
        filled("reports", "reporter_locale", "the language of the reporter's e-mails")])
    op.drop_index("ix_reports_open_building", table_name="reports")
    op.drop_column("idempotency_keys", "request_hash")
    op.drop_column("reports", "reporter_locale")
