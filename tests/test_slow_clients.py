"""Slow and idle clients do not take the service down: 200 of them held 30 s against `make run`'s stack
(scripts/serve.sh: nginx in front of gunicorn), while /healthz answers within 2 s in at least 95 % of probes.

A control run shows what the test would catch: the same kind of clients sent straight to gunicorn's socket,
only 8 of them for 8 seconds, leave the probes unanswered (its sync workers each wait for one request).
All traffic goes to 127.0.0.1 or a unix socket in the test's directory; every loop is bounded in time.
"""
import http.client
import os
import random
import selectors
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import migrated_app

ROOT = Path(__file__).resolve().parents[1]
HOLD_S = 30
SLOW_CLIENTS = 200
PROBE_TIMEOUT_S = 2.0


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def _connection(address, timeout):
    if isinstance(address, str):
        return UnixHTTPConnection(address, timeout)
    return http.client.HTTPConnection(*address, timeout=timeout)


def _open(address):
    s = socket.socket(socket.AF_UNIX if isinstance(address, str) else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(address)
    s.setblocking(False)
    return s


# Half of the clients never finish their headers (one byte a second), half announce a body and send it one
# byte a second; when the server drops one, it comes back at once.
HEADER_ONLY = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
WITH_BODY = (b"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 100000\r\n\r\n")


def hold_slow_clients(address, n, seconds, stop_early=None):
    """Keep `n` slow connections to `address` for `seconds`; returns (connections made, drops by the server)."""
    sel = selectors.DefaultSelector()
    clients = {}   # socket -> [bytes still to send first, kind]
    made = dropped = 0

    def connect(i):
        nonlocal made
        try:
            s = _open(address)
        except OSError:
            return
        made += 1
        head = HEADER_ONLY if i % 2 == 0 else WITH_BODY
        clients[s] = [head, i]
        sel.register(s, selectors.EVENT_READ)

    for i in range(n):
        connect(i)
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop_early and stop_early.is_set()):
        tick = time.monotonic()
        for s, state in list(clients.items()):
            pending, i = state
            chunk = pending or bytes([97 + random.randrange(26)])   # the request line, then a byte a second
            try:
                s.send(chunk)
                state[0] = b""
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                sel.unregister(s)
                s.close()
                del clients[s]
                dropped += 1
                connect(i)
        for key, _ in sel.select(timeout=0):   # the server answered (408) or closed: come back
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                i = clients.pop(s)[1]
                dropped += 1
                connect(i)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    for s in clients:
        s.close()
    sel.close()
    return made, dropped


def probe(address, seconds, every=0.5):
    """GET /healthz every `every` seconds for `seconds`: the share answered 200 within PROBE_TIMEOUT_S."""
    results = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        conn = _connection(address, PROBE_TIMEOUT_S)
        try:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            results.append(resp.status == 200 and time.monotonic() - start <= PROBE_TIMEOUT_S)
        except OSError:
            results.append(False)
        finally:
            conn.close()
        time.sleep(max(0.0, every - (time.monotonic() - start)))
    return sum(results) / len(results), len(results)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(scratch_database, tmp_path_factory):
    """scripts/serve.sh (what `make run` starts) on a migrated scratch database and a free port."""
    var = tmp_path_factory.mktemp("serve")
    url = scratch_database()
    application = migrated_app(url, var)
    from app.extensions import db

    with application.app_context():
        db.engine.dispose()
    subprocess.run([str(ROOT / "scripts/ensure-package.sh"), "nginx:nginx"], check=True)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "WORKERS": "2", "VAR_DIR": str(var),
           "SECRET_KEY": "slow-clients"}
    log = open(var / "serve.log", "w")
    proc = subprocess.Popen([str(ROOT / "scripts/serve.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while probe(("127.0.0.1", port), 0.1)[0] < 1:
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError("serve.sh did not come up:\n" + (var / "serve.log").read_text()[-3000:])
        time.sleep(0.3)
    yield {"port": port, "socket": str(var / "run" / "gunicorn.sock"), "log": var / "serve.log", "proc": proc}
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    log.close()


@pytest.mark.slow
def test_200_slow_clients_held_30_seconds_leave_the_service_available(served):
    address = ("127.0.0.1", served["port"])
    outcome = {}
    attack = threading.Thread(target=lambda: outcome.update(
        zip(("made", "dropped"), hold_slow_clients(address, SLOW_CLIENTS, HOLD_S), strict=True)))
    attack.start()
    time.sleep(2)   # all of them connected and dribbling
    share, probes = probe(address, HOLD_S - 4)
    attack.join(HOLD_S + 30)
    print(f"slow clients: {outcome['made']} connections, {outcome['dropped']} dropped by nginx and reopened; "
          f"/healthz: {share:.1%} of {probes} probes within {PROBE_TIMEOUT_S} s")
    assert outcome["made"] >= SLOW_CLIENTS             # they really were there (and came back when dropped)
    assert probes >= 40 and share >= 0.95, f"{share:.0%} of {probes} probes answered within {PROBE_TIMEOUT_S} s"


@pytest.mark.slow
def test_the_control_without_the_front_fails(served):
    """Straight to gunicorn's socket, 8 slow clients (2 workers) take /healthz down: the test has teeth."""
    stop = threading.Event()
    attack = threading.Thread(target=hold_slow_clients, args=(served["socket"], 8, 8, stop))
    attack.start()
    time.sleep(1)
    share, probes = probe(served["socket"], 5)
    stop.set()
    attack.join(20)
    print(f"control, straight to gunicorn: {share:.1%} of {probes} probes within {PROBE_TIMEOUT_S} s")
    assert share < 0.5, f"{share:.0%} of {probes} probes answered without the front"
    # and once they are gone, the workers serve again
    deadline = time.monotonic() + 40
    while probe(served["socket"], 0.1)[0] < 1:
        assert time.monotonic() < deadline, "gunicorn did not recover after the slow clients left"
        time.sleep(0.5)
