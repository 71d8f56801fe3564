"""Benchmark: POST /api/v1/reports (no photo) under concurrent load, against a minimal Flask+psycopg endpoint.

Both run in the same run, on the same machine, under the production server (gunicorn, the same number of
sync workers), against the same scratch PostGIS database seeded with the demo city (buildings, reports):

- project: the real service (wsgi:app) — multipart parsing, validation, city boundary, building snapping,
  district, duplicate search, re-tag check, SLA target, report + audit-trail rows, one transaction;
- baseline: a minimal Flask app whose one endpoint parses the same multipart body and only inserts the point
  (psycopg, one connection per worker, autocommit).

The load generator sends the same requests (random points inside the city) from CONCURRENCY threads, only
to 127.0.0.1, bounded in count (--requests) and time (--seconds) per round; rounds alternate baseline and
project so that drift hits both. It prints throughput and latency percentiles of both and the ratios.
Target: project throughput >= 60 % of the baseline's, project p99 < 100 ms.

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/graffiti_test \\
        .venv/bin/python bench/bench_post_report.py [--workers N] [--concurrency 8] [--rounds 5]
"""
import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from scratch import conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BOUNDARY = "----bench-boundary-7f3a"


# -- the baseline: a minimal Flask + psycopg endpoint that only inserts a point ---------------------------

def minimal_app():
    """The baseline WSGI app (gunicorn 'bench_post_report:minimal_app()'): parse the form, insert a point."""
    import psycopg
    from flask import Flask, jsonify, request

    app = Flask("minimal")
    local = threading.local()
    dsn = os.environ["BENCH_PG_DSN"]

    def conn():
        if getattr(local, "conn", None) is None:
            local.conn = psycopg.connect(dsn, autocommit=True)
        return local.conn

    @app.post("/points")
    def insert_point():
        lat, lon = float(request.form["lat"]), float(request.form["lon"])
        row = conn().execute(
            "INSERT INTO bench_points (category, geom) VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
            "RETURNING id", (request.form.get("category", "graffiti"), lon, lat)).fetchone()
        return jsonify({"id": row[0]}), 201

    return app


# -- set-up -------------------------------------------------------------------------------------------------

def create_database(base_url: str, n_reports: int) -> tuple[str, str]:
    """A scratch database: migrated, city synced, demo city seeded, plus the baseline's table."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from app import create_app
    from app.extensions import db

    name = f"graffiti_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(conninfo(base_url, "postgres"), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(conninfo(base_url, name), autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from app.services.core.demo import seed_demo

        seed_demo(n_reports=n_reports, seed=7, progress=lambda m: print("  seed:", m))
        db.session.commit()
        db.engine.dispose()
    with psycopg.connect(conninfo(base_url, name), autocommit=True) as c:
        c.execute("CREATE TABLE bench_points (id bigserial PRIMARY KEY, category text NOT NULL, "
                  "geom geometry(Point, 4326) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        c.execute("ANALYZE")
    return name, url


def drop_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(conninfo(base_url, "postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def city_points(n: int, seed: int = 11) -> list[tuple[float, float]]:
    """n random (lat, lon) points inside the configured city boundary."""
    from shapely.geometry import Point

    from app.config import from_env
    from gis.city import City

    cfg = from_env()
    city = City.from_file(cfg["CITY_NAME"], cfg["CITY_SLUG"], cfg["CITY_SRID"], cfg["CITY_BOUNDARY_FILE"])
    rng = random.Random(seed)
    minx, miny, maxx, maxy = city.boundary.bounds
    points = []
    while len(points) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if city.boundary.contains(Point(lon, lat)):
            points.append((lat, lon))
    return points


def multipart(fields: dict) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(target: str, env: dict, workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free 127.0.0.1 port, waiting until it answers."""
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--pythonpath",
         str(ROOT / "bench"), target], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{target} did not start:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# -- load ---------------------------------------------------------------------------------------------------

def run_load(port: int, path: str, bodies: list[bytes], concurrency: int, max_requests: int,
             max_seconds: float) -> dict:
    """Send up to max_requests POSTs (at most max_seconds) from `concurrency` threads; latencies in ms."""
    lock = threading.Lock()
    counter = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    def worker():
        while True:
            with lock:
                i = counter["next"]
                counter["next"] += 1
            if i >= max_requests or time.perf_counter() > deadline:
                return
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                c.request("POST", path, body=body, headers=headers)
                resp = c.getresponse()
                resp.read()
                c.close()
                ok = resp.status == 201
            except OSError as exc:
                ok, resp = False, exc
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                if ok:
                    latencies.append(dt)
                else:
                    errors.append(str(getattr(resp, "status", resp)))

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {"ok": len(latencies), "errors": len(errors), "error_sample": errors[:3], "seconds": elapsed,
            "latencies": latencies,
            "rps": len(latencies) / elapsed, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "mean": statistics.fmean(latencies) if latencies else float("nan")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_workers = int(os.environ.get("WORKERS") or 2 * (os.cpu_count() or 1))
    parser.add_argument("--workers", type=int, default=default_workers,
                        help="gunicorn sync workers for both servers (default: WORKERS or 2 per CPU core, as "
                             "`make run`)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2500, help="per round and server (upper bound)")
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and server (upper bound)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed-reports", type=int, default=3000, help="demo reports in the database")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") \
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

    print(f"setting up a scratch database with the demo city ({args.seed_reports} reports) ...")
    name, url = create_database(base, args.seed_reports)
    tmp = Path(tempfile.mkdtemp(prefix="bench-post-report-"))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "VAR_DIR": str(tmp),
           "UPLOAD_DIR": str(tmp / "uploads"), "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
           "BENCH_PG_DSN": conninfo(url, name)}
    rng = random.Random(5)
    categories = ["graffiti", "sticker", "scratching", "other"]
    bodies = [multipart({"lat": f"{lat:.7f}", "lon": f"{lon:.7f}", "category": rng.choice(categories),
                         "description": "Bench: Schriftzug an der Wand", "offensive": "false"})
              for lat, lon in city_points(2000)]
    servers = {}
    results = {"baseline": [], "project": []}
    try:
        servers["baseline"] = start_server("bench_post_report:minimal_app()", env, args.workers, tmp / "baseline.log")
        servers["project"] = start_server("wsgi:app", env, args.workers, tmp / "project.log")
        paths = {"baseline": "/points", "project": "/api/v1/reports"}
        for kind in ("baseline", "project"):   # warm-up: imports, connections, caches
            run_load(servers[kind][1], paths[kind], bodies[:50], args.concurrency, 200, 5)
        for r in range(args.rounds):
            for kind in ("baseline", "project") if r % 2 == 0 else ("project", "baseline"):
                res = run_load(servers[kind][1], paths[kind], bodies, args.concurrency, args.requests, args.seconds)
                results[kind].append(res)
                print(f"round {r + 1} {kind:8s}: {res['ok']:5d} ok, {res['errors']} errors in {res['seconds']:.1f} s"
                      f" = {res['rps']:7.1f} req/s; latency ms p50 {res['p50']:.1f} p95 {res['p95']:.1f}"
                      f" p99 {res['p99']:.1f}" + (f"  errors: {res['error_sample']}" if res["errors"] else ""))
    finally:
        for proc, _port in servers.values():
            stop_server(proc)
        drop_database(base, name)

    def total(kind):
        rs = results[kind]
        pooled = sorted(x for r in rs for x in r["latencies"])
        p99 = pooled[min(len(pooled) - 1, int(0.99 * len(pooled)))] if pooled else float("nan")
        return sum(x["ok"] for x in rs) / sum(x["seconds"] for x in rs), p99, sum(x["errors"] for x in rs)

    b_rps, b_p99, b_err = total("baseline")
    p_rps, p_p99, p_err = total("project")
    # Each round measures both back to back, so a paired ratio cancels load that drifts between rounds.
    paired = sorted(p["rps"] / b["rps"] for b, p in zip(results["baseline"], results["project"], strict=True))
    ratio = statistics.median(paired)
    print()
    print(f"workers {args.workers}, concurrency {args.concurrency}, rounds {args.rounds}")
    print(f"baseline (minimal Flask+psycopg insert): {b_rps:7.1f} req/s, p99 {b_p99:.1f} ms, errors {b_err}")
    print(f"project  (POST /api/v1/reports):         {p_rps:7.1f} req/s, p99 {p_p99:.1f} ms, errors {p_err}")
    print(f"throughput ratio project/baseline: median of rounds {ratio:.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in paired)}; overall {p_rps / b_rps:.2f}); target >= 0.60")
    print(f"project p99 over all rounds {p_p99:.1f} ms; target < 100 ms")
    met = ratio >= 0.6 and p_p99 < 100 and p_err == 0
    print("TARGET MET" if met else "TARGET NOT MET")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
