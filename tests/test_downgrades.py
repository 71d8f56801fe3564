"""Downgrades that cannot keep data say so and change nothing, unless forced with `-x force=yes`."""
import pytest
from alembic import command
from alembic.util import CommandError
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db


def _config(*x_arg):
    return current_app.extensions["migrate"].migrate.get_config(None, x_arg=list(x_arg))


def _revision():
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _columns(table):
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


@pytest.fixture
def migrated(scratch_database):
    application = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database(), "TESTING": True})
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_a_downgrade_that_would_drop_request_hashes_is_refused_and_changes_nothing(migrated):
    db.session.execute(text("INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
                            "VALUES ('k1', 'POST /api/v1/reports', 201, '{}', 'ab12')"))
    db.session.commit()
    head = _revision()
    with pytest.raises(CommandError) as refused:
        command.downgrade(_config(), "0001")
    message = str(refused.value)
    assert "idempotency_keys.request_hash" in message and "1 rows" in message
    assert "Nothing was changed" in message and "-x force=yes" in message
    db.session.remove()
    assert _revision() == head and "request_hash" in _columns("idempotency_keys")   # one transaction: rolled back
    assert db.session.execute(text("SELECT request_hash FROM idempotency_keys")).scalar() == "ab12"


def test_forced_the_downgrade_goes_through(migrated, capsys):
    db.session.execute(text("INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
                            "VALUES ('k2', 'POST /api/v1/reports', 201, '{}', 'cd34')"))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0001", x_arg=["force=yes"])        # what `flask db downgrade 0001 -x force=yes` runs
    assert "request_hash" not in _columns("idempotency_keys") and _revision() == "0001"
    assert "data lost: idempotency_keys.request_hash" in capsys.readouterr().err
    upgrade()


def test_a_downgrade_that_loses_nothing_needs_no_force(migrated):
    db.session.execute(text("INSERT INTO idempotency_keys (key, endpoint, status_code, body) "
                            "VALUES ('k3', 'POST /api/v1/reports', 201, '{}')"))   # no request hash
    db.session.commit()
    db.session.remove()
    command.downgrade(_config(), "0001")
    assert _revision() == "0001"
    with pytest.raises(CommandError, match="table idempotency_keys: 1 rows"):   # but not below 0001 with rows
        command.downgrade(_config(), "base")
    upgrade()
