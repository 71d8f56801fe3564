"""reports: a writer may store location_m itself; the trigger fills it only when it is missing

The citizen report statement computes the metric position anyway (for snapping and duplicates) and now
stores it, so the trigger function is not called for those rows: the insert trigger only fires WHEN
location_m IS NULL. Every other writer (importers, Open311, seeding, bulk SQL) still gets it filled, and a
changed location is always transformed again.

Revision ID: 0006
Revises: 0005
"""
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


def downgrade():
    op.execute("DROP TRIGGER reports_fill_metric_on_insert ON reports")
    op.execute("DROP TRIGGER reports_fill_metric ON reports")
    op.execute("""
        CREATE TRIGGER reports_fill_metric BEFORE INSERT OR UPDATE OF location ON reports
        FOR EACH ROW EXECUTE FUNCTION reports_fill_metric()""")
