"""Prevention measures (register, buildings, history) and the read-only role `prevention`

The prevention coordinator sees every measure, its evaluation and the yearly report, but no reporter's
personal data; staff and police register and edit measures.

Revision ID: 0012
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS = ("coating", "legal_wall", "lighting", "video", "fast_removal", "greening", "mural", "school_project",
         "police_presence", "other")
STATUSES = ("planned", "active", "finished", "stopped")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", _in("role", ("staff", "police", "admin", "prevention")))
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("area", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("control_area", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
        sa.Column("buffer_m", sa.Integer(), server_default="200", nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date()),
        sa.Column("months", sa.Integer(), server_default="12", nullable=False),
        sa.Column("gap_months", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cost_eur", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("office", sa.String(200)),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_measures_created_by_id_users",
                                                                ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_measures_kind")),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_measures_status")),
        sa.CheckConstraint("buffer_m BETWEEN 0 AND 2000 AND months BETWEEN 1 AND 60 AND gap_months BETWEEN 0 AND 24 "
                           "AND cost_eur >= 0 AND (end_on IS NULL OR end_on >= start_on)", name=op.f("ck_measures_ranges")),
    )
    op.create_table(
        "measure_buildings",
        sa.Column("measure_id", sa.Integer(), sa.ForeignKey("measures.id", ondelete="CASCADE",
                                                            name="fk_measure_buildings_measure_id_measures"),
                  nullable=False),
        sa.Column("building_id", sa.Integer(), sa.ForeignKey("buildings.id", ondelete="CASCADE",
                                                             name="fk_measure_buildings_building_id_buildings"),
                  nullable=False),
        sa.PrimaryKeyConstraint("measure_id", "building_id", name=op.f("pk_measure_buildings")),
    )
    op.create_index("ix_measure_buildings_building_id", "measure_buildings", ["building_id"])
    op.create_table(
        "measure_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("measure_id", sa.Integer(), sa.ForeignKey("measures.id", ondelete="CASCADE",
                                                            name="fk_measure_events_measure_id_measures"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL",
                                                         name="fk_measure_events_user_id_users")),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_events")),
    )
    op.create_index("ix_measure_events_measure_id", "measure_events", ["measure_id"])


def downgrade():
    from dataloss import refuse_to_lose, rows_in  # migrations/dataloss.py (env.py puts it on the path)

    refuse_to_lose("0012", [rows_in("measures"),
                            ("users with the role prevention", "SELECT count(*) FROM users WHERE role = 'prevention'")])
    op.drop_table("measure_events")
    op.drop_table("measure_buildings")
    op.drop_table("measures")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", _in("role", ("staff", "police", "admin")))
