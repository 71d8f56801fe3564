"""reports: cheaper inserts: a writer may store location_m itself, no GiST index on the WGS84 location

The citizen report statement computes the metric position anyway (for snapping and duplicates) and now
stores it, so the trigger function is not called for those rows: the insert trigger only fires WHEN
location_m IS NULL. Every other writer (importers, Open311, seeding, bulk SQL) still gets it filled, and a
changed location is always transformed again.

Spatial look-ups of reports all go through location_m (the public map too), so the GiST index on the
WGS84 column, maintained on every insert, is dropped. The duplicate search (and "nearby") asks for open
reports within a few metres: a partial GiST index on the open reports answers that without visiting every
closed report and duplicate that piled up at a much-sprayed wall.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DROP TRIGGER reports_fill_metric ON reports")
    op.execute("""
        CREATE TRIGGER reports_fill_metric BEFORE UPDATE OF location ON reports
        FOR EACH ROW EXECUTE FUNCTION reports_fill_metric()""")
    op.execute("""
        CREATE TRIGGER reports_fill_metric_on_insert BEFORE INSERT ON reports
        FOR EACH ROW WHEN (NEW.location_m IS NULL) EXECUTE FUNCTION reports_fill_metric()""")
    op.drop_index("idx_reports_location", table_name="reports")
    op.create_index("ix_reports_open_location_m", "reports", ["location_m"], postgresql_using="gist",
                    postgresql_where=sa.text("status IN ('new', 'verified', 'scheduled', 'notify_owner')"))


def downgrade():
    op.drop_index("ix_reports_open_location_m", table_name="reports")
    op.create_index("idx_reports_location", "reports", ["location"], postgresql_using="gist")
    op.execute("DROP TRIGGER reports_fill_metric_on_insert ON reports")
    op.execute("DROP TRIGGER reports_fill_metric ON reports")
    op.execute("""
        CREATE TRIGGER reports_fill_metric BEFORE INSERT OR UPDATE OF location ON reports
        FOR EACH ROW EXECUTE FUNCTION reports_fill_metric()""")
