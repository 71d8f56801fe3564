"""OpenStreetMap data (streets, their routable edges, places, buildings' OSM ids, imports) and one city per
database: every metric trigger uses the CRS of the one `cities` row

Until now the triggers took the SRID of the first `cities` row, so a database that once held another city
stored new positions in that city's CRS. A unique index on a constant allows one row only; city_srid() is
that row's CRS; `flask sync-city` refuses another city and moves the metric columns when the CRS changes.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_SRID = "(SELECT srid FROM cities ORDER BY id LIMIT 1)"
NEW_TABLES = {"streets": ("geom", "geom_m"), "street_edges": ("geom", "geom_m"), "places": ("geom", "geom_m")}
OLD_TABLES = {"districts": ("geom", "geom_m"), "buildings": ("footprint", "footprint_m"),
              "reports": ("location", "location_m")}


def _fill_function(table, src, dst, srid):
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {table}_fill_metric() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.{dst} := CASE WHEN NEW.{src} IS NULL THEN NULL ELSE ST_Transform(NEW.{src}, {srid}) END;
          RETURN NEW;
        END $$""")


def _one_city_check():
    rows = op.get_bind().execute(sa.text("SELECT slug FROM cities ORDER BY id")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(
            f"this database holds {len(rows)} cities ({', '.join(rows)}); one deployment serves one city: "
            "move each city to its own database (or delete the rows that are not this deployment's) first")


def upgrade():
    _one_city_check()
    op.create_index("uq_cities_one_city", "cities", [sa.text("(true)")], unique=True)
    op.execute("CREATE FUNCTION city_srid() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT srid FROM cities $$")
    for table, (src, dst) in OLD_TABLES.items():
        _fill_function(table, src, dst, "city_srid()")
    op.add_column("buildings", sa.Column("osm_id", sa.String(length=24), nullable=True))
    op.create_unique_constraint(op.f("uq_buildings_osm_id"), "buildings", ["osm_id"])
    op.create_table(
        "streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("highway", sa.String(length=64), nullable=False),
        sa.Column("oneway", sa.SmallInteger(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("routable", sa.Boolean(), nullable=False),
        sa.Column("geom", Geometry(geometry_type="LINESTRING", srid=4326, spatial_index=False,
                                   from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.Column("geom_m", Geometry(geometry_type="LINESTRING", spatial_index=False, from_text="ST_GeomFromEWKT",
                                     name="geometry"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streets")),
        sa.UniqueConstraint("osm_id", name=op.f("uq_streets_osm_id")),
    )
    op.create_index("idx_streets_geom", "streets", ["geom"], postgresql_using="gist")
    op.create_index("idx_streets_geom_m", "streets", ["geom_m"], postgresql_using="gist")
    op.create_table(
        "street_edges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("geom", Geometry(geometry_type="LINESTRING", srid=4326, spatial_index=False,
                                   from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.Column("geom_m", Geometry(geometry_type="LINESTRING", spatial_index=False, from_text="ST_GeomFromEWKT",
                                     name="geometry"), nullable=True),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_street_edges_street_id_streets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_edges")),
    )
    op.create_index(op.f("ix_street_edges_street_id"), "street_edges", ["street_id"])
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("osm_id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("geom", Geometry(geometry_type="POINT", srid=4326, spatial_index=False,
                                   from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.Column("geom_m", Geometry(geometry_type="POINT", spatial_index=False, from_text="ST_GeomFromEWKT",
                                     name="geometry"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("osm_id", name=op.f("uq_places_osm_id")),
    )
    op.create_index("idx_places_geom_m", "places", ["geom_m"], postgresql_using="gist")
    op.create_table(
        "osm_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_osm_imports")),
    )
    for table, (src, dst) in NEW_TABLES.items():
        _fill_function(table, src, dst, "city_srid()")
        op.execute(f"""
            CREATE TRIGGER {table}_fill_metric BEFORE INSERT OR UPDATE OF {src} ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_fill_metric()""")


def downgrade():
    for table in NEW_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fill_metric ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_fill_metric()")
    op.drop_table("osm_imports")
    op.drop_index("idx_places_geom_m", table_name="places")
    op.drop_table("places")
    op.drop_index(op.f("ix_street_edges_street_id"), table_name="street_edges")
    op.drop_table("street_edges")
    op.drop_index("idx_streets_geom_m", table_name="streets")
    op.drop_index("idx_streets_geom", table_name="streets")
    op.drop_table("streets")
    op.drop_constraint(op.f("uq_buildings_osm_id"), "buildings", type_="unique")
    op.drop_column("buildings", "osm_id")
    for table, (src, dst) in OLD_TABLES.items():
        _fill_function(table, src, dst, OLD_SRID)
    op.execute("DROP FUNCTION city_srid()")
    op.drop_index("uq_cities_one_city", table_name="cities")
