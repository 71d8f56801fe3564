"""status_events: a message for the citizen with a status change (a canned reply and/or free text)

`note` stays internal (staff only); `public_reply` is the code of a canned reply (its wording, in the
reader's language, is in app/labels.py) and `public_message` the clerk's own words. Both are shown on the
citizen's status page and in the status e-mail.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("status_events", sa.Column("public_reply", sa.String(length=32), nullable=True))
    op.add_column("status_events", sa.Column("public_message", sa.Text(), nullable=True))


def downgrade():
    from dataloss import filled, refuse_to_lose  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0007", [filled("status_events", "public_reply", "canned replies to citizens"),
                            filled("status_events", "public_message", "messages to citizens")])
    op.drop_column("status_events", "public_message")
    op.drop_column("status_events", "public_reply")
