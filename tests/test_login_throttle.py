"""Login throttling (issue #12, findings 6 and 8): growing waits per account and address that never lock the
real user out from another address, a per-address limit for public addresses, and the same password-hash work
for unknown e-mail addresses."""
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import LoginAttempt
from app.services.core import accounts
from app.services.core.accounts import ADDRESS_FAILURES, MAX_FAILURES, create_user, login_wait
from tests.conftest import TEST_PASSWORD

ATTACKER, USER_HOME = "93.184.216.34", "81.2.69.160"  # public addresses (documentation ranges count as private)


def _user():
    user = create_user(f"t-{uuid.uuid4().hex[:8]}@example.org", TEST_PASSWORD, "staff")
    db.session.commit()
    return user


def _failed(email, addr, n):
    db.session.add_all([LoginAttempt(email=email, remote_addr=addr, attempted_at=datetime.now(UTC))
                        for _ in range(n)])
    db.session.commit()


def _post(client, email, password, addr, **kw):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": addr},
                       **kw)


def test_an_attacker_slows_down_only_their_own_address(app, client):
    user = _user()
    for _ in range(MAX_FAILURES):
        assert _post(client, user.email, "wrong password", ATTACKER).status_code == 401
    _failed(user.email, ATTACKER, 3)  # and kept trying (3 more: a wait of 16 s, long enough for a slow machine)
    resp = _post(client, user.email, TEST_PASSWORD, ATTACKER)  # even the right password waits there
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    page = resp.get_data(as_text=True)
    assert "Zu viele Fehlversuche" in page and f'value="{user.email}"' in page  # the e-mail stays typed
    # the real user, from home, is not held up at all
    assert _post(client, user.email, TEST_PASSWORD, USER_HOME).status_code == 302


def test_waits_grow_and_end(app):
    email = f"w-{uuid.uuid4().hex[:8]}@example.org"
    waits = []
    for _ in range(MAX_FAILURES + 3):
        db.session.add(LoginAttempt(email=email, remote_addr=ATTACKER, attempted_at=datetime.now(UTC)))
        db.session.flush()
        waits.append(login_wait(email, ATTACKER))
    assert waits[:MAX_FAILURES - 1] == [0] * (MAX_FAILURES - 1)
    assert waits[MAX_FAILURES - 1:] == [2, 4, 8, 16]
    # an hour later none of these count any more
    db.session.execute(update(LoginAttempt).where(LoginAttempt.email == email)
                       .values(attempted_at=datetime.now(UTC) - timedelta(hours=1, seconds=1)))
    assert login_wait(email, ATTACKER) == 0


def test_the_longest_wait_is_bounded(app):
    email = f"m-{uuid.uuid4().hex[:8]}@example.org"
    _failed(email, ATTACKER, 60)
    assert 0 < login_wait(email, ATTACKER) <= accounts.MAX_WAIT.total_seconds()


def test_one_public_address_trying_many_accounts_waits_but_a_private_one_is_not_counted(app, client):
    for addr in (ATTACKER, "10.1.2.3"):
        for i in range(ADDRESS_FAILURES + 4):
            _failed(f"a{i}-{uuid.uuid4().hex[:6]}@example.org", addr, 1)
    user = _user()
    assert _post(client, user.email, TEST_PASSWORD, ATTACKER).status_code == 429
    # a proxy's or the office network's address: its many users are not held up by each other
    assert _post(client, user.email, TEST_PASSWORD, "10.1.2.3").status_code == 302
    # IPv6: the whole /64 of the address counts as one
    for i in range(ADDRESS_FAILURES + 4):
        _failed(f"b{i}@example.org", f"2a00:1450:4001:80b::{i + 1:x}", 1)
    assert login_wait("someone@example.org", "2a00:1450:4001:80b::ffff") > 0
    assert login_wait("someone@example.org", "2a00:1450:4001:80c::1") == 0


def test_unknown_emails_cost_the_same_hash_work(app, client, monkeypatch):
    user = _user()
    checked = []
    real = accounts.verify_password

    def counting(stored_hash, password):
        checked.append(stored_hash)
        return real(stored_hash, password)
    monkeypatch.setattr(accounts, "verify_password", counting)
    addr = iter(f"10.9.8.{i}" for i in range(1, 200))  # a fresh address each time: no waits in the way
    assert _post(client, "nobody-here@example.org", "some password", next(addr)).status_code == 401
    assert _post(client, user.email, "some password", next(addr)).status_code == 401
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
    assert checked[0].split("$")[3] == checked[1].split("$")[3]  # the same argon2 parameters (m, t, p)

    def timed(email):
        start = time.perf_counter()
        assert _post(client, email, "some password", next(addr)).status_code == 401
        return time.perf_counter() - start
    # Finding 8 measured 312 ms against 25 ms; with the same work the medians stay close.
    unknown = statistics.median(timed(f"u{i}-nobody@example.org") for i in range(7))
    known = statistics.median(timed(user.email) for _ in range(7))
    assert 1 / 3 < unknown / known < 3, (unknown, known)
