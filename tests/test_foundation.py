"""The foundation: health check, migrations, metric triggers, city configuration, roles, accounts."""
import ast
from pathlib import Path

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from app.models import Report
from app.services.core.accounts import MAX_FAILURES, create_user
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_reports_database_and_postgis_versions(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["postgresql"].startswith(("15", "16", "17"))
    assert body["postgis"].startswith("3.")
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert body["migration"] == head


def _scratch_app(url, **extra):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, **extra})


def test_migrations_round_trip_on_an_empty_database(scratch_database):
    application = _scratch_app(scratch_database())
    with application.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"reports", "buildings", "status_events", "users", "photos", "cities"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"} == set()
        with db.engine.connect() as conn:  # the metric triggers' functions went too
            assert conn.scalar(text("SELECT count(*) FROM pg_proc WHERE proname LIKE '%_fill_metric'")) == 0
        upgrade()
        assert "reports" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_models_and_newest_migration_agree(scratch_database):
    application = _scratch_app(scratch_database())
    with application.app_context():
        upgrade()
        check()  # exits non-zero when a model and the migrations differ
        db.engine.dispose()


def test_check_does_detect_a_model_change(scratch_database):
    """The agreement test can fail: a table that no migration created is reported."""
    application = _scratch_app(scratch_database())
    with application.app_context():
        upgrade()
        extra = db.Table("not_migrated", db.metadata, db.Column("id", db.Integer, primary_key=True))
        try:
            with pytest.raises(SystemExit):
                check()
        finally:
            db.metadata.remove(extra)
            db.engine.dispose()


def test_metric_columns_are_filled_in_the_city_crs(app):
    report = Report(token="t-metric", category="graffiti", location="SRID=4326;POINT(9.2185 49.1418)")
    db.session.add(report)
    db.session.flush()
    srid, x, y = db.session.execute(text(
        "SELECT ST_SRID(location_m), ST_X(location_m), ST_Y(location_m) FROM reports WHERE id = :id"),
        {"id": report.id}).one()
    assert srid == 25832
    assert 513_000 < x < 518_000 and 5_439_000 < y < 5_444_000  # Heilbronn in UTM 32N


def test_districts_are_synced_inside_the_city(app):
    n, outside = db.session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE NOT ST_CoveredBy(d.geom_m, ST_Buffer(c.boundary_m, 1))) "
        "FROM districts d JOIN cities c ON c.id = d.city_id")).one()
    assert n == 12 and outside == 0


def test_gis_package_never_imports_flask_or_app():
    for path in (ROOT / "gis").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"flask", "app", "flask_sqlalchemy"}, f"{path}: imports {name}"


def test_another_city_works_by_configuration_alone(scratch_database):
    url = scratch_database()
    application = _scratch_app(url, CITY_NAME="Neckarsulm", CITY_SLUG="neckarsulm",
                               CITY_BOUNDARY_FILE=str(ROOT / "tests/data/neckarsulm.geojson"),
                               CITY_CENTER=None, CITY_ATTRIBUTION="© GeoBasis-DE / BKG 2013")
    city = application.extensions["city"]
    assert city.name == "Neckarsulm"
    assert city.contains(9.2255, 49.1920)        # Neckarsulm town centre
    assert not city.contains(9.2185, 49.1418)    # Heilbronn Marktplatz
    with application.app_context():
        upgrade()
        from app.services.core.city_setup import sync_city_and_districts

        row, n_districts = sync_city_and_districts()
        db.session.commit()
        assert (row.name, row.srid, n_districts) == ("Neckarsulm", 25832, 0)
        body = application.test_client().get("/api/v1/city").get_json()
        assert body["name"] == "Neckarsulm"
        assert body["boundary"]["type"] == "MultiPolygon"
        db.session.remove()
        db.engine.dispose()


def test_staff_page_checks_roles(client, staff_client, police_client, admin_client):
    assert client.get("/staff/").status_code == 302
    assert staff_client.get("/staff/").status_code == 200
    assert police_client.get("/staff/").status_code == 403
    assert admin_client.get("/staff/").status_code == 200
    assert police_client.get("/police/").status_code == 200
    assert staff_client.get("/police/").status_code == 403


def test_login_is_rate_limited(app, client):
    user = create_user("limited@example.org", TEST_PASSWORD, "staff")
    db.session.commit()
    for _ in range(MAX_FAILURES):
        assert client.post("/login", data={"email": user.email, "password": "wrong"}).status_code == 401
    resp = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert resp.status_code == 429


def test_login_form_requires_csrf_token(scratch_database, app):
    csrf_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True})
    resp = csrf_app.test_client().post("/login", data={"email": "x@example.org", "password": "y"})
    assert resp.status_code == 400
    assert "Bitte laden Sie die Seite neu" in resp.get_data(as_text=True)
    resp = csrf_app.test_client().post("/login", data={"email": "x@example.org", "password": "y"},
                                       headers={"Accept-Language": "en"})
    assert resp.status_code == 400 and "Please reload the page" in resp.get_data(as_text=True)
    with csrf_app.app_context():
        db.engine.dispose()


def test_create_user_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["create-user", "cli@example.org", "--role", "police", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    from app.services.core.accounts import authenticate

    assert authenticate("cli@example.org", "a long enough password", None).role == "police"


def test_create_user_refuses_short_passwords(runner):
    result = runner.invoke(args=["create-user", "short@example.org", "--role", "staff", "--password-stdin"],
                           input="short\n")
    assert result.exit_code != 0
    assert "at least" in result.output


def test_german_by_default_english_on_request(client):
    assert "Graffiti oder Sachbeschädigung melden" in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Report graffiti or damage" in english
    # the switch is remembered in the session
    assert "Report graffiti or damage" in client.get("/").get_data(as_text=True)
    browser_en = create_app_client_with_language("en")
    assert "Report graffiti or damage" in browser_en


def create_app_client_with_language(lang):
    from flask import current_app

    c = current_app.test_client()
    return c.get("/", headers={"Accept-Language": f"{lang},de;q=0.5"}).get_data(as_text=True)
