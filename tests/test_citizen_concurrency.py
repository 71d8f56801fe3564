"""Concurrent retries with one Idempotency-Key create one report (real connections, no test transaction)."""
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Report


@pytest.fixture
def own_app(committing_app):
    """An app on its own migrated database, committing for real (several connections at once)."""
    return committing_app


def test_concurrent_retries_with_one_key_create_one_report(own_app):
    n = 8
    barrier = threading.Barrier(n)
    answers = [None] * n

    def send(i):
        client = own_app.test_client()
        with own_app.app_context():
            barrier.wait()
            resp = client.post("/api/v1/reports", data={"lat": "49.1418", "lon": "9.2185", "category": "graffiti"},
                               headers={"Idempotency-Key": "same-key-from-a-flaky-phone"})
            answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a is not None for a in answers)
    assert {a[0] for a in answers} == {201}
    assert len({a[1]["token"] for a in answers}) == 1
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
        db.session.remove()


def test_concurrent_reports_without_a_key_are_all_stored(own_app):
    n = 6
    barrier = threading.Barrier(n)
    codes = []

    def send(i):
        client = own_app.test_client()
        with own_app.app_context():
            barrier.wait()
            resp = client.post("/api/v1/reports", json={"lat": 49.15 + i * 0.001, "lon": 9.20, "category": "other"})
            codes.append(resp.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert codes == [201] * n
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report).where(Report.category == "other")) == n
        db.session.remove()
