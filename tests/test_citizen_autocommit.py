"""Reports without an Idempotency-Key: one statement committing on its own (real commits, no test transaction)."""
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from app import autocommit
from app.extensions import db
from tests.factories import MARKT, jpeg_bytes, post


@pytest.fixture
def own(committing_app):
    return committing_app


def _scalar(app, sql, **params):
    with app.app_context():
        try:
            return db.session.execute(text(sql), params).scalar()
        finally:
            db.session.remove()


def _files(app) -> set[str]:
    d = Path(app.config["UPLOAD_DIR"])
    return {p.name for p in d.iterdir()} if d.exists() else set()


def _autocommit_pool(app):
    return app.extensions[autocommit._EXTENSION]


def test_a_report_with_photos_and_email_is_one_statement_on_the_autocommit_pool(own):
    outbox = Path(own.config["MAIL_OUTBOX_DIR"])
    mails_before = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    resp = post(own.test_client(), email="citizen@example.org", description="Schriftzug",
                photos=[jpeg_bytes(color=(1, 2, 3)), jpeg_bytes(color=(4, 5, 6))])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["photos"] == 2 and body["status"] == "new"
    assert _autocommit_pool(own).idle() >= 1               # it went through the autocommit pool
    rid = body["id"]
    assert _scalar(own, "SELECT count(*) FROM photos WHERE report_id = :r AND kind = 'report'", r=rid) == 2
    assert _scalar(own, "SELECT to_status FROM status_events WHERE report_id = :r", r=rid) == "new"
    # the statement stores the metric position itself; it is what the trigger would have computed
    assert _scalar(own, "SELECT ST_Distance(location_m, ST_Transform(location, (SELECT srid FROM cities LIMIT 1)))"
                        " FROM reports WHERE id = :r", r=rid) == 0
    assert _scalar(own, "SELECT ST_SRID(location_m) = (SELECT srid FROM cities LIMIT 1) FROM reports WHERE id = :r",
                   r=rid) is True
    assert len(list(outbox.glob("*.eml"))) == mails_before + 1   # the confirmation, after the commit
    for name in (_scalar(own, "SELECT filename FROM photos WHERE report_id = :r ORDER BY id LIMIT 1", r=rid),):
        assert (Path(own.config["UPLOAD_DIR"]) / name).exists()


def test_other_writers_still_get_the_metric_position_from_the_trigger(own):
    with own.app_context():
        rid = db.session.execute(text(
            "INSERT INTO reports (token, category, status, source, location, created_at, updated_at) VALUES "
            "('trigger-check', 'other', 'new', 'import', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), now(), now()) "
            "RETURNING id"), {"lat": MARKT[0], "lon": MARKT[1]}).scalar()
        db.session.commit()
        db.session.remove()
    assert _scalar(own, "SELECT ST_Distance(location_m, ST_Transform(location, (SELECT srid FROM cities LIMIT 1)))"
                        " FROM reports WHERE id = :r", r=rid) == 0
    with own.app_context():   # a moved report is transformed again
        db.session.execute(text("UPDATE reports SET location = ST_SetSRID(ST_MakePoint(9.2, 49.15), 4326) "
                                "WHERE id = :r"), {"r": rid})
        db.session.commit()
        db.session.remove()
    assert _scalar(own, "SELECT ST_Distance(location_m, ST_Transform(location, (SELECT srid FROM cities LIMIT 1)))"
                        " FROM reports WHERE id = :r", r=rid) == 0


def test_a_failing_statement_stores_nothing_and_removes_the_new_photo_files(own, monkeypatch):
    from app.services.citizen import submission

    real = submission._insert_params

    def too_long_name(*args, **kwargs):      # the photos row fails (varchar(200)) after report and event rows
        params = real(*args, **kwargs)
        params["photo_file"] = ["x" * 300 for _ in params["photo_file"]]
        return params

    monkeypatch.setattr(submission, "_insert_params", too_long_name)
    reports_before = _scalar(own, "SELECT count(*) FROM reports")
    events_before = _scalar(own, "SELECT count(*) FROM status_events")
    files_before = _files(own)
    resp = post(own.test_client(), photos=[jpeg_bytes(color=(7, 7, 7))])
    assert resp.status_code == 500 and "nicht gespeichert" in resp.get_json()["errors"][0]["message"]
    assert _scalar(own, "SELECT count(*) FROM reports") == reports_before
    assert _scalar(own, "SELECT count(*) FROM status_events") == events_before
    assert _files(own) == files_before
    assert _autocommit_pool(own).discarded >= 1            # the connection the statement failed on is gone
    monkeypatch.undo()
    assert post(own.test_client()).status_code == 201          # the pool is fine afterwards


def test_a_connection_the_server_closed_is_replaced_without_an_error(own):
    assert post(own.test_client()).status_code == 201
    url = own.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = %s AND datname = current_database()",
                               (autocommit.APPLICATION_NAME,)).fetchone()[0]
    assert killed >= 1
    time.sleep(0.2)  # the server's goodbye reaches the idle sockets
    discarded = _autocommit_pool(own).discarded
    for _ in range(3):
        assert post(own.test_client()).status_code == 201
    assert _autocommit_pool(own).discarded == discarded + killed   # each closed one was noticed and dropped
