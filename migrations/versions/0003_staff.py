"""staff area: planning estimates on reports (area and method of the removal)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reports", sa.Column("est_area_m2", sa.Numeric(8, 2), nullable=True))
    op.add_column("reports", sa.Column("est_method", sa.String(length=32), nullable=True))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0003", [filled("reports", "est_area_m2", "estimated area"),
                            filled("reports", "est_method", "estimated removal method")])
    op.drop_column("reports", "est_method")
    op.drop_column("reports", "est_area_m2")
