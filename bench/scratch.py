"""A scratch PostGIS database for a benchmark, on the server of TEST_DATABASE_URL, dropped afterwards.

Run as scripts, the benchmarks find this module beside them (`bench/` is the script's folder on sys.path).
"""
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


def conninfo(url: str, dbname: str) -> str:
    """psycopg connection string for database `dbname` on the server of SQLAlchemy URL `url`."""
    u = make_url(url)
    return psycopg.conninfo.make_conninfo(host=u.host or "", port=u.port or 5432, user=u.username or "",
                                          password=u.password or "", dbname=dbname)


@contextmanager
def scratch_postgis(base: str, name: str, keep: bool = False):
    """Create database `name` with PostGIS on `base`'s server and yield its SQLAlchemy URL; drop it (FORCE) on
    leaving, unless `keep` (then its URL is printed)."""
    with psycopg.connect(conninfo(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo(base, name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield url
    finally:
        if keep:
            print(f"scratch database kept: {url}")
        else:
            with psycopg.connect(conninfo(base, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
