"""One deployment, one city: `flask sync-city` refuses a database that holds another city's data (nothing
changes), takes over an empty one, and moves every metric column when the city's CRS changes; the
triggers use the one city's CRS."""
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import migrated_app
from tests.factories import MARKT, make_building, make_report

ROOT = Path(__file__).resolve().parent.parent
KIRCHBERG = {"CITY_NAME": "Kirchberg an der Iller", "CITY_SLUG": "kirchberg",
             "CITY_BOUNDARY_FILE": str(ROOT / "tests/data/osm/kirchberg-an-der-iller.boundary.geojson")}


def _state():
    """The city row and every report's and building's positions, to compare before and after."""
    return (db.session.execute(text("SELECT id, slug, name, srid, ST_AsEWKB(boundary_m), updated_at FROM cities"))
            .all(),
            db.session.execute(text("SELECT id, ST_AsEWKB(location_m) FROM reports ORDER BY id")).all(),
            db.session.execute(text("SELECT id, ST_AsEWKB(footprint_m) FROM buildings ORDER BY id")).all(),
            db.session.execute(text("SELECT id, name, ST_AsEWKB(geom_m) FROM districts ORDER BY id")).all())


def _sync(application):
    with application.app_context():
        return application.test_cli_runner().invoke(args=["sync-city"])


def _other(application, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": application.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                       **config})


@pytest.fixture
def used_heilbronn(scratch_database, tmp_path):
    """A Heilbronn database in use: a building and a report on it, committed."""
    application = migrated_app(scratch_database(), tmp_path)
    with application.app_context():
        make_report(make_building(), status="verified")
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


def test_sync_city_for_another_city_on_a_used_database_stops_and_changes_nothing(used_heilbronn):
    with used_heilbronn.app_context():
        before = _state()
    other = _other(used_heilbronn, **KIRCHBERG, CITY_SRID=32632)
    result = _sync(other)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: this database holds the city Heilbronn (CITY_SLUG=heilbronn, 1 reports, 1 buildings, 0 streets), "
        "but this deployment is configured for Kirchberg an der Iller (CITY_SLUG=kirchberg); one deployment "
        "serves one city: give Kirchberg an der Iller its own database (DATABASE_URL) or set "
        "CITY_SLUG=heilbronn; nothing was changed")
    with used_heilbronn.app_context():
        assert _state() == before
    with other.app_context():
        db.engine.dispose()


def test_the_database_admits_one_city_only(used_heilbronn):
    with used_heilbronn.app_context(), pytest.raises(Exception, match="uq_cities_one_city"):
        db.session.execute(text("INSERT INTO cities (slug, name, srid, boundary, center_lat, center_lon, zoom, "
                                "attribution) SELECT 'other', 'Other', 32632, boundary, 0, 0, 13, '' FROM cities"))


def test_a_changed_crs_moves_every_metric_column(used_heilbronn):
    moved = _other(used_heilbronn, CITY_SRID=3035)  # Heilbronn in the European LAEA grid
    result = _sync(moved)
    assert result.exit_code == 0, result.output
    assert "EPSG:3035" in result.output
    with moved.app_context():
        for table, src, dst in (("reports", "location", "location_m"), ("buildings", "footprint", "footprint_m"),
                                ("districts", "geom", "geom_m"), ("cities", "boundary", "boundary_m")):
            wrong = db.session.scalar(text(
                f"SELECT count(*) FROM {table} WHERE ST_Distance({dst}, ST_Transform({src}, 3035)) > 0.001"))
            assert wrong == 0, table
        assert db.session.scalar(text("SELECT count(*) FROM districts")) > 0
        # and what is written from now on is in the new CRS, whatever writes it (the triggers)
        db.session.execute(text("INSERT INTO reports (token, category, location) VALUES "
                                f"('after-move', 'graffiti', 'SRID=4326;POINT({MARKT[1]} {MARKT[0]})')"))
        x = db.session.scalar(text("SELECT ST_X(location_m) FROM reports WHERE token = 'after-move'"))
        assert 4_200_000 < x < 4_300_000  # LAEA easting of Heilbronn (UTM 32N would say about 516,000)
        db.session.remove()
        db.engine.dispose()


def test_an_empty_database_of_another_city_is_taken_over(scratch_database, tmp_path):
    empty = migrated_app(scratch_database(), tmp_path)  # Heilbronn synced, nothing else
    other = _other(empty, **KIRCHBERG, CITY_SRID=25832)
    result = _sync(other)
    assert result.exit_code == 0, result.output
    with other.app_context():
        assert db.session.execute(text("SELECT slug, name FROM cities")).all() == [
            ("kirchberg", "Kirchberg an der Iller")]
        assert db.session.scalar(text("SELECT count(*) FROM districts")) == 0  # Heilbronn's are gone
        db.session.remove()
        db.engine.dispose()
    with empty.app_context():
        db.engine.dispose()


def test_the_migration_refuses_a_database_with_two_cities(scratch_database):
    application = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database(), "TESTING": True})
    with application.app_context():
        upgrade(revision="0007")
        for slug, srid in (("heilbronn", 25832), ("new-york", 2263)):
            db.session.execute(text(
                "INSERT INTO cities (slug, name, srid, boundary, center_lat, center_lon, zoom, attribution) VALUES "
                f"('{slug}', '{slug}', {srid}, 'SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 0, 0, 13, '')"))
        db.session.commit()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            upgrade()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0007"
        db.session.remove()
        db.engine.dispose()
