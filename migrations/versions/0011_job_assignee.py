"""reports: the staff member a job is assigned to ("my jobs" in the queue)

Revision ID: 0011
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reports", sa.Column("assignee_id", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_reports_assignee_id_users", "reports", "users", ["assignee_id"], ["id"],
                          ondelete="SET NULL")
    op.create_index("ix_reports_assignee_id", "reports", ["assignee_id"],
                    postgresql_where=sa.text("assignee_id IS NOT NULL"))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0011", [filled("reports", "assignee_id", "job assignments")])
    op.drop_index("ix_reports_assignee_id", table_name="reports")
    op.drop_constraint("fk_reports_assignee_id_users", "reports", type_="foreignkey")
    op.drop_column("reports", "assignee_id")
