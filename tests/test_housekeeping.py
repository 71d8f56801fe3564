"""Housekeeping without cron: the service itself forgets old contact data (real commits, own database)."""
import pytest
from sqlalchemy import text

from app import housekeeping
from app.extensions import db
from tests.factories import MARKT, offset, post


@pytest.fixture
def serve(apps_on_committing_db):
    """Apps on committing_app's database with housekeeping every `hours`."""
    return lambda hours: apps_on_committing_db(HOUSEKEEPING_HOURS=hours)


def _report(app, email, north_m, closed_days_ago=None):
    lat, lon = offset(*MARKT, north_m=north_m)
    resp = post(app.test_client(), email=email, lat=str(lat), lon=str(lon))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    rid = resp.get_json()["id"]
    if closed_days_ago is not None:
        _sql(app, "UPDATE reports SET status = 'closed', closed_at = now() - make_interval(days => :d) "
                  "WHERE id = :id", d=closed_days_ago, id=rid)
    return rid


def _sql(app, sql, **params):
    with app.app_context():
        try:
            value = db.session.execute(text(sql), params)
            value = value.scalar() if value.returns_rows else None
            db.session.commit()
            return value
        finally:
            db.session.remove()


def _email(app, rid):
    return _sql(app, "SELECT reporter_email FROM reports WHERE id = :id", id=rid)


def _get(app, url="/healthz"):
    resp = app.test_client().get(url)
    resp.close()  # the job runs when the server closes the response, after sending it
    return resp


def test_the_service_forgets_old_contact_data_by_itself_once_per_interval(committing_app, serve, monkeypatch):
    assert "housekeeping" not in committing_app.extensions  # off in tests unless asked for
    served = serve(24)
    old = _report(committing_app, "old@example.org", 300, closed_days_ago=91)
    recent = _report(committing_app, "recent@example.org", 600, closed_days_ago=10)
    open_ = _report(committing_app, "open@example.org", 900)
    assert _get(served).status_code == 200  # the first request after a start runs the job
    assert _email(committing_app, old) is None
    assert _email(committing_app, recent) == "recent@example.org"
    assert _email(committing_app, open_) == "open@example.org"

    later = _report(committing_app, "later@example.org", 1200, closed_days_ago=100)
    _get(served)
    assert _email(committing_app, later) == "later@example.org"  # not again within the interval
    clock = housekeeping.time.monotonic() + 25 * 3600
    monkeypatch.setattr(housekeeping.time, "monotonic", lambda: clock)
    _get(served, "/api/v1/city")
    assert _email(committing_app, later) is None  # a day later: again


def test_failed_logins_are_kept_one_day(committing_app, serve):
    _sql(committing_app, "INSERT INTO login_attempts (email, remote_addr, attempted_at) VALUES "
                         "('old@example.org', '192.0.2.1', now() - interval '25 hours'), "
                         "('new@example.org', '192.0.2.2', now() - interval '1 hour')")
    housekeeping.run_once(serve(24))
    left = _sql(committing_app, "SELECT string_agg(email, ',') FROM login_attempts WHERE email LIKE '%@example.org'")
    assert left == "new@example.org"


def test_only_one_process_at_a_time_and_failures_do_not_break_requests(committing_app, serve, monkeypatch):
    served = serve(1)
    rid = _report(committing_app, "locked@example.org", 1500, closed_days_ago=120)
    with committing_app.app_context():  # another process holds the lock
        db.session.execute(text("SELECT pg_advisory_lock(:k)"), {"k": housekeeping.LOCK_KEY})
        try:
            assert housekeeping.run_once(served) is None
            assert _email(committing_app, rid) == "locked@example.org"
        finally:
            db.session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": housekeeping.LOCK_KEY})
            db.session.remove()
    assert housekeeping.run_once(served) >= 1  # (other tests' reports on this database may be due as well)
    assert _email(committing_app, rid) is None

    def broken():
        raise RuntimeError("database gone")
    monkeypatch.setattr("app.services.citizen.retention.purge_reporter_contacts", broken)
    assert housekeeping.run_once(served) is None  # logged, retried at the next interval
    assert _get(served).status_code == 200


def test_housekeeping_sweeps_the_photo_files(committing_app, serve):
    """Old temporary files of lost attempts and files no row references go; a committed row's file stays."""
    import os
    import time
    from pathlib import Path

    from app.services.citizen.photo_files import PENDING, StagedPhotos
    from app.services.citizen.photos import process_photo
    from tests.factories import jpeg_bytes

    upload = Path(committing_app.config["UPLOAD_DIR"])
    resp = post(committing_app.test_client(), photos=[jpeg_bytes(color=(90, 91, 92))])
    kept = _sql(committing_app, "SELECT filename FROM photos WHERE report_id = :r", r=resp.get_json()["id"])
    lost, orphan = process_photo(jpeg_bytes(color=(93, 94, 95))), process_photo(jpeg_bytes(color=(96, 97, 98)))
    staged = StagedPhotos(upload)
    staged.add(lost)
    staged.abandon()
    staged = StagedPhotos(upload)
    staged.add(orphan)
    staged.publish()
    two_hours_ago = time.time() - 7200
    for path in [*upload.glob(f"{orphan.sha256}*"), *(upload / PENDING).iterdir(), upload / kept]:
        os.utime(path, (two_hours_ago, two_hours_ago))
    housekeeping.run_once(serve(24))
    assert (upload / kept).exists()
    assert not list(upload.glob(f"{orphan.sha256}*")) and not list((upload / PENDING).iterdir())
