"""Fixtures: the app on the real PostGIS test database, per-test rollback, clients for each role."""
import os
import uuid

import psycopg
import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import make_url

from app import autocommit, create_app
from app.extensions import db
from app.services.core.accounts import create_user

TEST_PASSWORD = "correct horse battery"


def test_database_url() -> str:
    """The test database; never the demo one. `make test` provisions it and sets TEST_DATABASE_URL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("TEST_DATABASE_URL is not set; run the suite with `make test`", returncode=2)
    return url


def admin_conninfo(url: str, dbname: str = "postgres") -> str:
    """A psycopg conninfo for `url`'s server, connecting to `dbname`."""
    u = make_url(url)
    return psycopg.conninfo.make_conninfo(
        host=u.host or "", port=u.port or 5432, user=u.username or "", password=u.password or "", dbname=dbname)


@pytest.fixture(scope="session")
def scratch_database():
    """Factory for empty PostGIS databases on the test server, dropped at the end of the session."""
    base = test_database_url()
    created = []

    def make() -> str:
        name = f"graffiti_scratch_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_conninfo(base), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(admin_conninfo(base, name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        created.append(name)
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    yield make
    with psycopg.connect(admin_conninfo(base), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own `g`), as in production.

    Without this, requests would reuse the test's app context and leak `g` (e.g. the logged-in user).
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def migrated_app(database_url: str, var, **config):
    """An app on `database_url`, migrated to the newest revision, with the configured city synced."""
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(var / "uploads"),
        "MAIL_OUTBOX_DIR": str(var / "outbox"),
        **config,
    })
    with application.app_context():
        upgrade()
        from app.services.core.city_setup import sync_city_and_districts

        sync_city_and_districts()
        db.session.commit()
    return application


@pytest.fixture(scope="session")
def app(tmp_path_factory, scratch_database):
    """The app on a fresh database of this session, migrated from scratch, with the configured city synced.

    A database per test session keeps concurrent runs apart and always matches the migration files.
    """
    application = migrated_app(scratch_database(), tmp_path_factory.mktemp("var"),
                               WTF_CSRF_ENABLED=False, SERVER_NAME="localhost")
    application.test_client_class = FreshContextClient
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def committing_app(scratch_database, tmp_path_factory):
    """An app on its own migrated database that commits for real (no test transaction around it)."""
    application = migrated_app(scratch_database(), tmp_path_factory.mktemp("committing"),
                               SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10})
    yield application
    with application.app_context():
        autocommit.dispose(application)
        db.engine.dispose()


@pytest.fixture
def apps_on_committing_db(committing_app):
    """make(**config): another app on committing_app's database (its var directories), with `config`;
    every app made is closed after the test."""
    made = []

    def make(**config):
        made.append(create_app({"SQLALCHEMY_DATABASE_URI": committing_app.config["SQLALCHEMY_DATABASE_URI"],
                                "TESTING": True, "UPLOAD_DIR": committing_app.config["UPLOAD_DIR"],
                                "MAIL_OUTBOX_DIR": committing_app.config["MAIL_OUTBOX_DIR"], **config}))
        return made[-1]
    yield make
    for application in made:
        with application.app_context():
            autocommit.dispose(application)
            db.engine.dispose()


class _ConnectionBoundSession(FlaskSession):
    """A session bound to the test's connection whatever the model's bind key."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def _isolation(request):
    """Run each test that uses the app inside a transaction that is rolled back afterwards."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({
            "class_": _ConnectionBoundSession, "bind": connection, "join_transaction_mode": "create_savepoint",
        })
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of the app."""
    return app.test_cli_runner()


def _login(app, role):
    user = create_user(f"{role}-{uuid.uuid4().hex[:6]}@example.org", TEST_PASSWORD, role)
    db.session.commit()
    c = app.test_client()
    resp = c.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    c.user = user
    return c


@pytest.fixture
def staff_client(app):
    """A client logged in as building-management staff."""
    return _login(app, "staff")


@pytest.fixture
def police_client(app):
    """A client logged in as police."""
    return _login(app, "police")


@pytest.fixture
def admin_client(app):
    """A client logged in as admin."""
    return _login(app, "admin")


@pytest.fixture
def prevention_client(app):
    """A client logged in as the prevention coordinator (reads aggregates only)."""
    return _login(app, "prevention")
