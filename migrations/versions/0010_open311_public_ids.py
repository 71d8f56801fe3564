"""Open311 and the public map show no more than they should: random public ids, released descriptions,
the client that filed a report, and client comments (the servicerequestupdates extension)

- `reports.public_id`: a random, non-sequential identifier (16 hex digits from PostgreSQL's strong random
  generator) for everything the public sees: the public map, Open311's `service_request_id`. The database
  fills it on every insert, so no writer (web form, API, Open311, importers, demo) can forget it.
- `reports.description_published_at/_by`: a citizen's text is shown by Open311 only after staff released it.
- `reports.api_key_id`: the Open311 client that filed the report (its updates are fetched by that client).
- `report_comments`: comments posted by Open311 clients (FixMyStreet updates), shown to staff only.

Revision ID: 0010
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None

PUBLIC_ID_DEFAULT = "substr(md5(gen_random_uuid()::text), 1, 16)"  # = app.models.PUBLIC_ID_SQL


def upgrade():
    op.add_column("reports", sa.Column("public_id", sa.String(length=16), nullable=True,
                                       server_default=sa.text(PUBLIC_ID_DEFAULT)))
    op.execute(f"UPDATE reports SET public_id = {PUBLIC_ID_DEFAULT}")
    op.alter_column("reports", "public_id", nullable=False)
    op.create_index("ix_reports_public_id", "reports", ["public_id"], unique=True)
    op.add_column("reports", sa.Column("description_published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("reports", sa.Column("description_published_by", sa.Integer(),
                                       sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    op.add_column("reports", sa.Column("api_key_id", sa.Integer(),
                                       sa.ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True))
    op.create_index("ix_reports_api_key_id", "reports", ["api_key_id"])
    op.create_table(
        "report_comments",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True),
        sa.Column("client_update_id", sa.String(length=100), nullable=True),
        sa.Column("client_status", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_url", sa.String(length=1000), nullable=True),
        sa.Column("client_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("api_key_id", "client_update_id", name="uq_report_comments_client_update"),
    )
    op.create_index("ix_report_comments_report_id", "report_comments", ["report_id"])


def downgrade():
    from dataloss import filled, refuse_to_lose, rows_in  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0010", [
        rows_in("report_comments"),
        filled("reports", "description_published_at", "descriptions released by staff"),
        filled("reports", "api_key_id", "reports of Open311 clients, who keep their public ids"),
    ])
    op.drop_index("ix_report_comments_report_id", table_name="report_comments")
    op.drop_table("report_comments")
    op.drop_index("ix_reports_api_key_id", table_name="reports")
    op.drop_column("reports", "api_key_id")
    op.drop_column("reports", "description_published_by")
    op.drop_column("reports", "description_published_at")
    op.drop_index("ix_reports_public_id", table_name="reports")
    op.drop_column("reports", "public_id")
