"""Benchmark: the police hotspot map (all layers) against folium's own layers for the same points, built the
plain way (HeatMap + MarkerCluster), in the same run.

For each size (default 100,000 and 1,000,000 reports), on one scratch PostGIS database (created here, dropped
at the end), with the synthetic city of bench_hotspots.py (35 % spread, 65 % around 60 hotspots, two years):

- project: GET /police/map/frame for the whole two years through the real app (Flask test client, logged in as
  police): the folium document with every layer (kernel density, Gi* cells, DBSCAN hulls, emerging hot spots,
  monthly slider, tags, incidents aggregated per 100 m cell above 1,500), time from request to the whole answer;
  also GET /police/ (the page with every figure) for information;
- baseline: the same reports' positions selected from PostGIS, a folium map with ``HeatMap`` of all points and a
  ``MarkerCluster`` with one ``Marker`` per report, rendered to HTML (what the plain folium way gives).

Run (not part of `make test`):

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/graffiti_test .venv/bin/python \
        bench/bench_police_map.py [--sizes 100000,1000000] [--baseline-max 1000000]

Targets (issue 14): at 1,000,000 reports the map under 1 s and at least 5 times faster than the baseline. The
baseline renders about a thousand markers a second; `--baseline-max` skips it above that many reports (then the
ratio is not measured and the target is reported as such). Exit status 0 only when every measured target is met.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
from bench_hotspots import PASSWORD, _seed
from scratch import conninfo, scratch_postgis


def _time_get(client, url, repeats):
    times, size = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        resp = client.get(url)
        body = resp.get_data()
        times.append(time.perf_counter() - t)
        assert resp.status_code == 200, body[:500]
        size = len(body)
    return times, size


def _baseline(where_sql, params):
    """Positions from PostGIS, then folium's HeatMap + MarkerCluster with one Marker each, rendered to HTML."""
    import folium
    from folium.plugins import HeatMap, MarkerCluster
    from sqlalchemy import text

    from app.extensions import db

    t = time.perf_counter()
    rows = db.session.execute(text(f"SELECT ST_Y(r.location), ST_X(r.location) FROM reports r WHERE {where_sql}"),
                              params).all()
    points = [[lat, lon] for lat, lon in rows]
    m = folium.Map(location=points[0] if points else [0, 0], zoom_start=13)
    HeatMap(points, radius=12).add_to(m)
    cluster = MarkerCluster().add_to(m)
    for p in points:
        folium.Marker(p).add_to(cluster)
    html = m.get_root().render()
    return time.perf_counter() - t, len(points), len(html)


def run_size(base, n, args) -> bool:
    """Seed n reports into a new scratch database, time the project and the baseline; True when targets are met."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.services.core.accounts import create_user
    from app.services.core.city_setup import sync_city_and_districts
    from app.services.police.filters import parse_filters, where_clause

    name = f"graffiti_bench_police_map_{os.getpid()}_{n}"
    with scratch_postgis(base, name) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True})
        with app.app_context():
            upgrade()
            sync_city_and_districts()
            create_user("bench-police@example.org", PASSWORD, "police")
            db.session.commit()
            t = time.perf_counter()
            _seed(app, n)
            db.session.execute(text("COMMIT"))
            with psycopg.connect(conninfo(url, name), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE reports")
            print(f"{n:,} reports seeded in {time.perf_counter() - t:.1f} s")
        today = datetime.now(UTC).date()
        query = f"from={today - timedelta(days=740)}&to={today}"
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "bench-police@example.org",
                                               "password": PASSWORD}).status_code == 302
            times, size = _time_get(client, f"/police/map/frame?{query}", args.repeats)
            page_times, _ = _time_get(client, f"/police/?{query}", 1)
        project = statistics.median(times)
        print(f"  project map (all layers): median {project:.3f} s (runs {', '.join(f'{x:.3f}' for x in times)}), "
              f"{size / 1e6:.1f} MB; the page with every figure: {page_times[0]:.2f} s")
        baseline = None
        if n <= args.baseline_max:
            with app.test_request_context(f"/?{query}"):
                f = parse_filters({"from": str(today - timedelta(days=740)), "to": str(today)})
                where_sql, params = where_clause(f)
                baseline, count, html = _baseline(where_sql, params)
            print(f"  baseline folium HeatMap + MarkerCluster ({count:,} markers): {baseline:.1f} s, "
                  f"{html / 1e6:.0f} MB; project {baseline / project:.1f}x faster")
        else:
            print(f"  baseline skipped (over --baseline-max {args.baseline_max:,})")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if n < 1_000_000:
        return True
    ok = project < 1.0 and (baseline is None or baseline / project >= 5)
    ratio = "not measured" if baseline is None else f"{baseline / project:.1f}x >= 5x"
    print(f"target at {n:,}: {project:.3f} s < 1 s and {ratio}: {'met' if ok else 'NOT met'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-max", type=int, default=1_000_000)
    args = ap.parse_args()
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("set TEST_DATABASE_URL (a PostGIS server where databases may be created)")
    ok = True
    for n in (int(s) for s in args.sizes.split(",")):
        ok &= run_size(base, n, args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
