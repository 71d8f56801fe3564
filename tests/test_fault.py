"""Fault test: a project-local PostgreSQL restarted and stopped under bounded load on the real server.

Clients post reports with photos and an Idempotency-Key each (retrying with the same key after a 503, as the
phone page does) while a reader follows acknowledged reports. PostgreSQL (its own cluster, port and data
directory, never the shared server) is restarted, then stopped for 8 seconds and started again. Afterwards:
every acknowledged report is stored exactly once, nothing else is stored, every acknowledged photo is served
byte for byte, the upload directory holds exactly the files the rows reference, every failure was a 503 with
Retry-After inside a fault window, and the log has one line per 503 and no traceback.
All traffic goes to 127.0.0.1; the load is bounded in time and count.
"""
import hashlib
import http.client
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from PIL import Image

from app.services.citizen.photo_files import PENDING, sweep
from tests.conftest import migrated_app
from tests.factories import MARKT, offset

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 4
MAX_REPORTS = 2000           # bound on the load, whatever the machine's speed
AFTER_FAULT_S = 3.0          # 503s may follow a fault window by this much (connections being replaced)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own: initdb into a fresh directory, its own port, trust auth on loopback."""

    def __init__(self):
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1])
        # A directory the postgres user can reach (pytest's own tmp tree is private to root).
        self.dir = Path(tempfile.mkdtemp(prefix="graffiti-fault-"))
        self.data, self.port = self.dir / "data", _free_port()
        self.run_as = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _pg(self, tool, *args):
        subprocess.run([*self.run_as, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def ctl(self, action, *extra):
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=50", *extra, action)

    def url(self, dbname):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def remove(self):
        try:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _multipart(fields, photo):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
                 f'Content-Type: image/jpeg\r\n\r\n'.encode() + photo + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _photo(i):
    img = Image.new("RGB", (64, 48), ((i * 37) % 256, (i * 91) % 256, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return buf.getvalue()


class Load:
    """Citizens posting reports (each retried with its key until acknowledged) and a reader of their status."""

    def __init__(self, port):
        self.port, self.stop, self.lock = port, threading.Event(), threading.Lock()
        self.acked = {}      # key -> token
        self.answers = []    # (time, method, status, retry_after)
        self.failures = []   # anything but 200/201/503
        self.count = 0

    def _request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
        except OSError as exc:
            with self.lock:
                self.failures.append((time.monotonic(), method, path, repr(exc)))
            return None, None, None
        finally:
            conn.close()
        with self.lock:
            self.answers.append((time.monotonic(), method, resp.status, resp.getheader("Retry-After")))
            if resp.status not in (200, 201, 503):
                self.failures.append((time.monotonic(), method, path, resp.status, data[:300]))
        return resp.status, resp.getheader("Retry-After"), data

    def citizen(self, n):
        rng = random.Random(n)
        while not self.stop.is_set():
            with self.lock:
                if self.count >= MAX_REPORTS:
                    return
                self.count += 1
                i = self.count
            lat, lon = offset(*MARKT, east_m=rng.uniform(-600, 600), north_m=rng.uniform(-600, 600))
            key = f"fault-{uuid.uuid4().hex}"
            # every fifth report shares its photo with others: one file, several rows
            body, ctype = _multipart({"lat": f"{lat:.7f}", "lon": f"{lon:.7f}", "category": "graffiti"},
                                     _photo(0 if i % 5 == 0 else i))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status, retry_after, data = self._request(
                    "POST", "/api/v1/reports", body, {"Content-Type": ctype, "Idempotency-Key": key})
                if status == 201:
                    with self.lock:
                        self.acked[key] = json.loads(data)["token"]
                    break
                if status not in (503, None):
                    break
                time.sleep(min(float(retry_after or 1), 0.3))

    def reader(self):
        while not self.stop.is_set():
            with self.lock:
                tokens = list(self.acked.values())[-20:]
            for token in tokens[:2]:
                self._request("GET", f"/api/v1/reports/{token}")
                self._request("GET", f"/r/{token}", headers={"Accept": "text/html"})
            time.sleep(0.05)


@pytest.fixture
def cluster():
    c = Cluster()
    c.ctl("start")
    yield c
    c.remove()


@pytest.mark.slow
def test_no_acknowledged_report_or_photo_is_lost_when_postgresql_restarts_and_stops(cluster, tmp_path):
    with psycopg.connect(cluster.url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE DATABASE graffiti_fault")
    with psycopg.connect(cluster.url("graffiti_fault").replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    var = tmp_path / "var"
    var.mkdir()
    application = migrated_app(cluster.url("graffiti_fault"), var)
    from app.extensions import db

    with application.app_context():
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": cluster.url("graffiti_fault"), "SECRET_KEY": "fault", "VAR_DIR": str(var),
           "UPLOAD_DIR": str(var / "uploads"), "MAIL_OUTBOX_DIR": str(var / "outbox"), "REPORT_RATE_LIMIT": "0",
           "HOUSEKEEPING_HOURS": "0"}
    log_path = var / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind",
                                   f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            _wait_healthy(port, server, log_path)
            load, windows = _run_faults(cluster, port)
            _check(load, windows, cluster, port, var, log_path)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_healthy(port, server, log_path):
    deadline = time.monotonic() + 60
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
        time.sleep(0.3)


def _run_faults(cluster, port):
    load = Load(port)
    threads = [threading.Thread(target=load.citizen, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=load.reader))
    for t in threads:
        t.start()
    windows = []
    try:
        time.sleep(4)
        start = time.monotonic()
        cluster.ctl("restart", "-m", "fast")
        windows.append((start, time.monotonic()))
        time.sleep(4)
        start = time.monotonic()
        cluster.ctl("stop", "-m", "fast")
        time.sleep(8)
        cluster.ctl("start")
        windows.append((start, time.monotonic()))
        time.sleep(5)
    finally:
        load.stop.set()
        for t in threads:
            t.join(90)
    return load, windows


def _check(load, windows, cluster, port, var, log_path):
    assert not load.failures, load.failures[:5]
    statuses = [status for _, _, status, _ in load.answers]
    unavailable = [(t, retry) for t, _, status, retry in load.answers if status == 503]
    print(f"fault test: {len(load.acked)} reports acknowledged, {statuses.count(201)} answers 201, "
          f"{statuses.count(200)} reads 200, {len(unavailable)} answers 503; fault windows "
          f"{', '.join(f'{b - a:.1f} s' for a, b in windows)}")
    assert statuses.count(201) >= 50 and unavailable, "the load and the outage really happened"
    # only 503s, with Retry-After, and only while PostgreSQL was restarting or down
    assert set(statuses) <= {200, 201, 503}
    assert all(retry for _, retry in unavailable)
    late = [t for t, _ in unavailable if not any(a <= t <= b + AFTER_FAULT_S for a, b in windows)]
    assert not late, f"{len(late)} 503s outside the fault windows"

    with psycopg.connect(cluster.url("graffiti_fault").replace("+psycopg", "")) as conn:
        tokens = [r[0] for r in conn.execute("SELECT token FROM reports")]
        photos = conn.execute("SELECT r.token, p.filename, p.thumb_filename, p.sha256 FROM photos p "
                              "JOIN reports r ON r.id = p.report_id").fetchall()
    # every acknowledged report exactly once, and nothing that was not acknowledged
    assert sorted(tokens) == sorted(load.acked.values())
    assert len(photos) == len(tokens)
    for token, filename, _thumb, sha in photos:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", f"/media/{filename}")
            resp = conn.getresponse()
            assert resp.status == 200 and hashlib.sha256(resp.read()).hexdigest() == sha, token
        finally:
            conn.close()
    # the upload directory holds exactly the referenced files: nothing missing, no orphans
    uploads = var / "uploads"
    published = {p.name for p in uploads.iterdir() if p.is_file()}
    assert published == {n for _, f, t, _ in photos for n in (f, t)}
    referenced = published.copy()
    result = sweep(uploads, lambda names: referenced & set(names), grace_seconds=0, now=time.time() + 1)
    assert not result.linked and not list((uploads / PENDING).glob("*"))
    # one log line per 503, no traceback
    log = log_path.read_text()
    assert "Traceback" not in log
    assert log.count("database unreachable:") == len(unavailable)
