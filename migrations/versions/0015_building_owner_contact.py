"""buildings: how to reach the owner of a private building (for the city's notification letter)

Revision ID: 0015
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (("owner_name", sa.String(200)), ("owner_address", sa.Text()), ("owner_email", sa.String(254)),
           ("owner_phone", sa.String(50)))


def upgrade():
    for name, type_ in COLUMNS:
        op.add_column("buildings", sa.Column(name, type_, nullable=True))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0015", [filled("buildings", name, "owners' contact data") for name, _ in COLUMNS])
    for name, _ in reversed(COLUMNS):
        op.drop_column("buildings", name)
