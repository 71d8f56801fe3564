"""Open311: the media URL a GeoReport client sent with a request

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reports", sa.Column("media_url", sa.String(length=1000), nullable=True))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0005", [filled("reports", "media_url", "Open311 media URLs")])
    op.drop_column("reports", "media_url")
