"""Benchmark: hotspot answers over 1,000,000 reports against ST_ClusterDBSCAN over the whole table.

In one run, on one scratch PostGIS database (created here, dropped at the end):

- data: N synthetic reports inside the configured city (default 1,000,000): 35 % spread evenly over the
  city, 65 % around 60 hotspots (Gaussian, 60-300 m), two years of dates, 10 % re-tags; loaded with COPY,
  the metric column filled by the schema's own trigger;
- baseline: ``SELECT ST_ClusterDBSCAN(location_m, eps, minpoints) OVER () FROM reports`` over the whole table
  (PostGIS' own DBSCAN), timed on the server side of the same connection pool;
- project: GET /api/v1/hotspots?method=dbscan and ?method=gistar for the whole period, through the real app
  (Flask test client, logged in as police): time from request to the complete GeoJSON answer;
- exactness on a sample where both can run (the district with the most reports, at most --sample-max): the
  project's DBSCAN (gis.dbscan.dbscan_points, what the API runs) against ST_ClusterDBSCAN(location_m) on
  the same raw positions: identical noise, identical clusters of the core points, every border point in a
  cluster of a core point it touches (ST_ClusterDBSCAN, like any DBSCAN, gives a border point that touches
  two clusters to either). Core points are counted independently here (k-d tree, exact distance formula).

Run (not part of `make test`):

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/graffiti_test .venv/bin/python \
        bench/bench_hotspots.py [--reports 1000000] [--eps 50] [--min-points 200]

Targets: each answer under 2 s and at least 15 times faster than the baseline; the same clusters on the
sample. The exit status is 0 only when every target is met.
"""
import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import shapely
from scratch import conninfo, scratch_postgis
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"



def _seed(app, n, seed=7):
    """N reports inside the city: hotspots and spread, two years, loaded with COPY."""
    from sqlalchemy import text

    from app.city import current_city
    from app.extensions import db
    from gis.projection import transformer

    city = current_city()
    area = city.boundary_metric
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(seed)
    centres = []
    while len(centres) < 60:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(area, x, y):
            centres.append((x, y))
    centres = np.array(centres)
    sigma = rng.uniform(60, 300, len(centres))
    xs, ys = [], []
    have = 0
    while have < n:
        m = int((n - have) * 1.3) + 1000
        spread = rng.random(m) < 0.35
        k = rng.integers(0, len(centres), m)
        x = np.where(spread, rng.uniform(minx, maxx, m), centres[k, 0] + rng.normal(0, 1, m) * sigma[k])
        y = np.where(spread, rng.uniform(miny, maxy, m), centres[k, 1] + rng.normal(0, 1, m) * sigma[k])
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    lon, lat = transformer(city.srid, 4326).transform(x, y)
    now = datetime.now(UTC)
    ages = rng.uniform(0, 730 * 86400, n)
    cats = np.array(["graffiti", "sticker", "scratching", "other"])[rng.choice(4, n, p=[0.7, 0.15, 0.1, 0.05])]
    retag = rng.random(n) < 0.1
    district = np.full(n, None, dtype=object)
    for did, raw in db.session.execute(text("SELECT id, ST_AsBinary(geom_m) FROM districts")).all():
        district[shapely.contains_xy(shapely.from_wkb(bytes(raw)), x, y)] = did
    conn = db.session.connection().connection.dbapi_connection
    with conn.cursor() as cur, cur.copy("COPY reports (token, category, status, source, location, retagged, "
                                        "district_id, created_at, updated_at) FROM STDIN") as copy:
        for i in range(n):
            at = now - timedelta(seconds=float(ages[i]))
            copy.write_row((uuid.uuid4().hex, str(cats[i]), "new", "import",
                            f"SRID=4326;POINT({lon[i]:.7f} {lat[i]:.7f})", bool(retag[i]), district[i], at, at))
    db.session.commit()


def _time_request(client, url, repeats):
    times, body = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        resp = client.get(url)
        body = resp.get_json()
        times.append(time.perf_counter() - t)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return times, body


def _compare_exact(x, y, ours, theirs, eps, min_points):
    """Same DBSCAN? Identical noise; core points clustered identically; border points next to their cluster.

    Core flags are counted here with a k-d tree: counts within eps -/+ 1e-6 m bracket the count, and points
    where they differ are counted with PostGIS' formula sqrt(dx * dx + dy * dy) <= eps.
    """
    from scipy.spatial import cKDTree

    xy = np.column_stack((x, y))
    tree = cKDTree(xy)
    low = tree.query_ball_point(xy, eps - 1e-6, return_length=True)
    high = tree.query_ball_point(xy, eps + 1e-6, return_length=True)
    core = low >= min_points
    for i in np.flatnonzero((low < min_points) & (high >= min_points)):
        near = np.asarray(tree.query_ball_point(xy[i], eps + 1e-6))
        dx, dy = x[near] - x[i], y[near] - y[i]
        core[i] = np.count_nonzero(np.sqrt(dx * dx + dy * dy) <= eps) >= min_points
    same_noise = np.array_equal(ours < 0, theirs < 0)
    pairs = set(zip(ours[core].tolist(), theirs[core].tolist(), strict=True))
    core_same = len(pairs) == len(set(ours[core].tolist())) == len(set(theirs[core].tolist()))
    # Border points: our cluster must be the cluster of a core point within eps (as in any valid DBSCAN).
    bad_border = 0
    border = np.flatnonzero(~core & (ours >= 0))
    for i, near in zip(border, tree.query_ball_point(xy[border], eps + 1e-6), strict=True):
        near = np.asarray(near)
        dx, dy = x[near] - x[i], y[near] - y[i]
        near = near[np.sqrt(dx * dx + dy * dy) <= eps]
        if not np.any(core[near] & (ours[near] == ours[i])):
            bad_border += 1
    return same_noise, core_same, bad_border, int(core.sum()), len(border)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--eps", type=float, default=50.0)
    ap.add_argument("--min-points", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sample-max", type=int, default=120_000)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database (prints its name)")
    args = ap.parse_args()
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("set TEST_DATABASE_URL (a PostGIS server where databases may be created)")
    name = f"graffiti_bench_hotspots_{os.getpid()}"
    with scratch_postgis(base, name, keep=args.keep) as url:
        ok = run(url, args)
    if not args.keep:
        print(f"scratch database {name} dropped")
    sys.exit(0 if ok else 1)


def run(url, args):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.services.core.accounts import create_user
    from app.services.core.city_setup import sync_city_and_districts
    from gis.dbscan import dbscan_points

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True})
    eps, minp = args.eps, args.min_points
    with app.app_context():
        upgrade()
        sync_city_and_districts()
        create_user("bench-police@example.org", PASSWORD, "police")
        db.session.commit()
        t = time.perf_counter()
        _seed(app, args.reports)
        db.session.execute(text("COMMIT"))
        with psycopg.connect(conninfo(url, make_url(url).database), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE reports")
        print(f"seeded {args.reports:,} reports in {time.perf_counter() - t:.1f} s")
        n = db.session.execute(text("SELECT count(*) FROM reports")).scalar()

        # Baseline: PostGIS' DBSCAN over the whole table.
        t = time.perf_counter()
        clusters = db.session.execute(text(
            "SELECT count(DISTINCT cid) FROM (SELECT ST_ClusterDBSCAN(location_m, eps := :eps, minpoints := :m) "
            "OVER () AS cid FROM reports) s"), {"eps": eps, "m": minp}).scalar()
        baseline = time.perf_counter() - t
        db.session.rollback()
        print(f"baseline ST_ClusterDBSCAN over {n:,} reports (eps {eps:g} m, minpoints {minp}): "
              f"{baseline:.2f} s, {clusters} clusters")

    client = app.test_client()
    with app.app_context():
        resp = client.post("/login", data={"email": "bench-police@example.org", "password": PASSWORD})
        assert resp.status_code == 302
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=1000)}&to={today}"  # the data spans two years
    results = {}
    for method, query in (("dbscan", f"method=dbscan&eps={eps:g}&min_points={minp}"),
                          ("gistar", "method=gistar&cell=150")):
        with app.app_context():
            times, body = _time_request(client, f"/api/v1/hotspots?{query}&{period}", args.repeats)
        med = statistics.median(times)
        results[method] = med
        summary = body["summary"]
        print(f"project {method}: median {med:.3f} s (runs {', '.join(f'{x:.3f}' for x in times)}), "
              f"{len(body['features'])} features, summary {summary}; "
              f"{baseline / med:.1f}x faster than the baseline")
        if method == "dbscan":
            assert summary["reports"] == n, "the answer must cover every report"

    # Exactness on a sample where both can run: one district, raw positions.
    with app.app_context():
        row = db.session.execute(text(
            "SELECT d.id, d.name, count(*) AS n FROM reports r JOIN districts d ON d.id = r.district_id "
            "GROUP BY d.id HAVING count(*) <= :mx ORDER BY count(*) DESC LIMIT 1"), {"mx": args.sample_max}).first()
        t = time.perf_counter()
        rows = db.session.execute(text(
            "SELECT ST_X(location_m), ST_Y(location_m), ST_ClusterDBSCAN(location_m, eps := :eps, "
            "minpoints := :m) OVER () FROM reports WHERE district_id = :d ORDER BY id"),
            {"eps": eps, "m": minp, "d": row.id}).all()
        t_sql = time.perf_counter() - t
        x = np.array([r[0] for r in rows])
        y = np.array([r[1] for r in rows])
        theirs = np.array([-1 if r[2] is None else r[2] for r in rows])
        t = time.perf_counter()
        ours = dbscan_points(x, y, eps, minp)
        t_ours = time.perf_counter() - t
        same_noise, core_same, bad_border, ncore, nborder = _compare_exact(x, y, ours, theirs, eps, minp)
        exact = same_noise and core_same and not bad_border
        print(f"sample: district {row.name!r}, {row.n:,} reports; ST_ClusterDBSCAN(location_m) {t_sql:.2f} s, "
              f"project {t_ours:.3f} s")
        print(f"  vs ST_ClusterDBSCAN on the raw positions: clusters {ours.max() + 1} / {theirs.max() + 1}, "
              f"noise {int((ours < 0).sum()):,} / {int((theirs < 0).sum()):,} (identical: {same_noise}), "
              f"identical clusters of the {ncore:,} core points: {core_same}, border points ({nborder:,}) outside "
              f"a touching cluster: {bad_border} -> {'SAME CLUSTERS' if exact else 'DIFFERENT'}")
        db.session.remove()
        db.engine.dispose()
    ok_all = exact
    for method, med in results.items():
        ok = med < 2.0 and baseline / med >= 15
        ok_all &= ok
        print(f"target {method}: {med:.3f} s < 2 s and {baseline / med:.1f}x >= 15x: {'met' if ok else 'NOT met'}")
    print(f"target same clusters as ST_ClusterDBSCAN on the sample: {'met' if exact else 'NOT met'}")
    return ok_all


if __name__ == "__main__":
    main()
