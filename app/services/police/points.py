"""The filtered reports as numpy arrays, fetched from PostGIS in one packed binary round trip.

Reports are fetched as packed binary values (string_agg of the binary send formats of the metric
`location_m`'s coordinates and of the attributes) and decoded with numpy, for the pure functions in gis/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from shapely import wkb
from sqlalchemy import text

from app.city import current_city
from app.extensions import db
from app.services.core.workdays import city_timezone
from app.services.police.filters import DAY_S, Filters, where_clause
from gis.projection import to_wgs84


@dataclass
class Points:
    """Reports as arrays: metric x/y, and when asked for, days since 1970, building id (-1) and re-tag flag."""

    x: np.ndarray
    y: np.ndarray
    days: np.ndarray | None = None
    building: np.ndarray | None = None
    retagged: np.ndarray | None = None

    def __len__(self):
        return len(self.x)


# One fixed-width binary record per report, in the types' binary send formats (big-endian): the metric
# point's x and y (ST_X/ST_Y read a point's coordinates without decoding the geometry, cheaper per row than
# its WKB) and, when asked for, the report's time (timestamptz: int8 microseconds since 2000-01-01 UTC),
# building (int4, -1 for none) and re-tag flag (bool): send formats cost PostgreSQL less than arithmetic.
_XY = [("x", ">f8"), ("y", ">f8")]
_XY_SQL = "float8send(ST_X(r.location_m)) || float8send(ST_Y(r.location_m))"
_ATTRS = [("t", ">i8"), ("b", ">i4"), ("r", "u1")]
_ATTRS_SQL = (" || timestamptz_send(r.created_at) || int4send(coalesce(r.building_id, -1))"
              " || boolsend(r.retagged)")
_EPOCH_2000_MINUTES = 946684800 // 60  # 2000-01-01 in minutes since 1970
_MINUTE_US = 60_000_000


def fetch_points(f: Filters, attributes: bool = False) -> Points:
    """The filtered reports in one packed binary round trip."""
    where, params = where_clause(f)
    blob = _aggregate_in_parallel(_XY_SQL + (_ATTRS_SQL if attributes else ""), where, params)
    rows = np.frombuffer(blob, dtype=np.dtype(_XY + (_ATTRS if attributes else [])))
    pts = Points(rows["x"].astype(float), rows["y"].astype(float))
    if attributes:
        # Whole minutes since 1970, as the reports' times are shown and compared (floor, also before 2000).
        minutes = rows["t"].astype(np.int64) // _MINUTE_US + _EPOCH_2000_MINUTES
        pts.days = minutes / 1440.0
        pts.building = rows["b"].astype(np.int64)
        pts.retagged = rows["r"].astype(bool)
    return pts


PARALLEL_MIN_PAGES = 2000  # below this a single scan is quicker than starting workers


def _aggregate_in_parallel(expr: str, where: str, params: dict) -> bytes:
    """string_agg(expr) over the filtered reports, split into block ranges that PostgreSQL scans in parallel.

    PostgreSQL 15 cannot split one string_agg over parallel workers, but it runs the branches of a UNION ALL
    in parallel (Parallel Append); each branch aggregates one range of table blocks (a TID range scan) and
    comes back as its own row, which the client concatenates (one copy fewer than a string_agg of the
    branches in the server). Record order does not matter to the callers.
    """
    db.session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves on these queries
    pages, workers = db.session.execute(text(
        "SELECT relpages, current_setting('max_parallel_workers_per_gather')::int FROM pg_class "
        "WHERE oid = 'reports'::regclass")).one()
    parts = min(workers + 1, 4) if pages >= PARALLEL_MIN_PAGES else 1
    if parts == 1:
        return _bytea_rows(f"SELECT string_agg({expr}, ''::bytea) FROM reports r WHERE {where}", params)
    db.session.execute(text("SET LOCAL parallel_setup_cost = 0"))
    db.session.execute(text("SET LOCAL parallel_tuple_cost = 0"))
    step = pages // parts + 1
    branches = []
    for k in range(parts):
        lo = f"r.ctid >= '({k * step},0)'::tid"
        hi = f" AND r.ctid < '({(k + 1) * step},0)'::tid" if k < parts - 1 else ""  # the last one is open
        branches.append(f"SELECT string_agg({expr}, ''::bytea) AS part FROM reports r WHERE {lo}{hi} AND {where}")
    return _bytea_rows(" UNION ALL ".join(branches), params)


def _bytea_rows(sql: str, params: dict) -> bytes:
    """The bytea values of all rows, concatenated (NULLs skipped); transferred in binary (the text format
    would send and decode twice as many bytes).

    Runs on the session's own connection (same transaction); `:name` parameters become psycopg's %(name)s.
    """
    raw = db.session.connection().connection.dbapi_connection
    sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    with raw.cursor() as cur:
        cur.execute(sql, params, binary=True)
        values = [v for (v,) in cur.fetchall() if v is not None]
    return values[0] if len(values) == 1 else b"".join(values)


def count_reports(f: Filters) -> int:
    """How many reports the filters select."""
    where, params = where_clause(f)
    return db.session.execute(text(f"SELECT count(*) FROM reports r WHERE {where}"), params).scalar()


def study_area(f: Filters):
    """The metric polygon analysed: the filtered district, else the city."""
    if f.district_id:
        raw = db.session.execute(text("SELECT ST_AsBinary(geom_m) FROM districts WHERE id = :id"),
                                 {"id": f.district_id}).scalar()
        if raw:
            return wkb.loads(bytes(raw))
    return current_city().boundary_metric


def to_lonlat(xy: np.ndarray) -> list[tuple[float, float]]:
    """Metric coordinates (n, 2) to WGS84 lon/lat pairs."""
    from gis.projection import transformer

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return []
    lon, lat = transformer(current_city().srid, 4326).transform(xy[:, 0], xy[:, 1])
    return list(zip(np.atleast_1d(lon).tolist(), np.atleast_1d(lat).tolist(), strict=True))


def metric_to_wgs84(geom):
    """A metric shapely geometry in WGS84."""
    return to_wgs84(geom, current_city().srid)


def day_to_datetime(days: float) -> datetime:
    """Days since 1970 (UTC) to an aware datetime in the city's time zone."""
    return datetime.fromtimestamp(days * DAY_S, UTC).astimezone(city_timezone())
