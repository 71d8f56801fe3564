"""Hotspot analysis: filters -> reports from PostGIS (metric coordinates) -> gis/ methods -> plain results.

Reports are fetched in one round trip as packed binary values (string_agg of the binary send formats of
the metric `location_m`'s coordinates and of the attributes), decoded with numpy, and handed to the pure
functions in gis/. Rejected reports
and duplicates are left out: they are not separate incidents.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
from shapely import wkb
from sqlalchemy import text

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import CATEGORIES
from app.services.workdays import city_timezone, local_midnight
from gis import gistar as gi
from gis.evaluation import evaluate
from gis.hotspots import dbscan_points, summarise_clusters
from gis.kde import DEFAULT_BANDWIDTH, kde
from gis.knox import DEFAULT_DAYS, DEFAULT_DISTANCES, TooManyPairs, knox_test
from gis.projection import to_wgs84

log = logging.getLogger(__name__)

EXCLUDED_STATUSES = ("rejected", "duplicate")
WEEKDAYS = {"mo": 1, "di": 2, "tu": 2, "mi": 3, "we": 3, "do": 4, "th": 4, "fr": 5, "sa": 6, "so": 7, "su": 7}
METHODS = ("dbscan", "gistar", "kde")
MAX_PERIOD_DAYS = 3660
DAY_S = 86400.0


@dataclass
class Filters:
    """Which reports to analyse: period [start, end), categories, weekdays (1 = Monday), hours, district."""

    start: datetime
    end: datetime
    categories: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()
    district_id: int | None = None
    district_name: str | None = None
    tag_id: int | None = None

    @property
    def days(self) -> float:
        """Length of the period in days."""
        return (self.end - self.start).total_seconds() / DAY_S

    def shifted(self, periods: int) -> Filters:
        """The same filters for the period `periods` lengths earlier (-1) or later (+1)."""
        delta = self.end - self.start
        return Filters(self.start + periods * delta, self.end + periods * delta, self.categories, self.weekdays,
                       self.hours, self.district_id, self.district_name, self.tag_id)

    def echo(self) -> dict:
        """The filters as JSON-ready parameters."""
        return {"from": self.start.date().isoformat(), "to": (self.end - timedelta(days=1)).date().isoformat(),
                "category": list(self.categories), "weekday": list(self.weekdays), "hour": list(self.hours),
                "district": self.district_name, "tag": self.tag_id}

    def query_args(self) -> dict:
        """The filters as URL query arguments (for links to exports and maps)."""
        args = {"from": self.start.date().isoformat(), "to": (self.end - timedelta(days=1)).date().isoformat()}
        if self.categories:
            args["category"] = ",".join(self.categories)
        if self.weekdays:
            args["weekday"] = ",".join(map(str, self.weekdays))
        if self.hours:
            args["hour"] = ",".join(map(str, self.hours))
        if self.district_id:
            args["district"] = str(self.district_id)
        return args


def _list(args, name) -> list[str]:
    values = []
    for raw in args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]:
        if raw:
            values += [v.strip() for v in str(raw).split(",") if v.strip()]
    return values


def _date(value: str, field_name: str, errors: list) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors.append((field_name, f"'{value}' is not a date; use YYYY-MM-DD."))
        return None
    if not 1970 <= day.year <= 2200:
        errors.append((field_name, f"'{value}' lies outside the years 1970 to 2200."))
        return None
    return day


def parse_filters(args, default_days: int = 365, today: date | None = None) -> Filters:
    """Filters from query arguments (from, to, category, weekday, hour, district); ValidationFailed if bad."""
    errors: list = []
    today = today or datetime.now(city_timezone()).date()
    end_day = _date(args["to"], "to", errors) if args.get("to") else today
    start_day = _date(args["from"], "from", errors) if args.get("from") else None
    if end_day and not start_day and not args.get("from"):
        start_day = max(end_day - timedelta(days=default_days - 1), date(1970, 1, 1))
    if start_day and end_day:
        if start_day > end_day:
            errors.append(("from", "'from' must not be after 'to'."))
        elif (end_day - start_day).days + 1 > MAX_PERIOD_DAYS:
            errors.append(("from", f"The period may be at most {MAX_PERIOD_DAYS} days long."))
    categories = _list(args, "category")
    for c in categories:
        if c not in CATEGORIES:
            errors.append(("category", f"Unknown category '{c}'; use one of {', '.join(CATEGORIES)}."))
    weekdays = []
    for w in _list(args, "weekday"):
        key = w.lower()[:2]
        if w.isdigit() and 1 <= int(w) <= 7:
            weekdays.append(int(w))
        elif key in WEEKDAYS and not w.isdigit():
            weekdays.append(WEEKDAYS[key])
        else:
            errors.append(("weekday", f"Unknown weekday '{w}'; use 1 (Monday) to 7 (Sunday)."))
    hours = []
    for h in _list(args, "hour"):
        if "-" in h and h.count("-") == 1 and all(p.isdigit() for p in h.split("-")):
            a, b = (int(p) for p in h.split("-"))
            if a <= 23 and b <= 23:
                hours += list(range(a, b + 1)) if a <= b else list(range(a, 24)) + list(range(b + 1))
                continue
        elif h.isdigit() and int(h) <= 23:
            hours.append(int(h))
            continue
        errors.append(("hour", f"Unknown hour '{h}'; use 0 to 23 or a range like 20-4."))
    district_id = district_name = None
    if args.get("district"):
        district_id, district_name = _district(str(args["district"]).strip(), errors)
    tag_id = None
    if args.get("tag"):
        if str(args["tag"]).isdigit() and int(args["tag"]) < 2**31:
            tag_id = int(args["tag"])
        else:
            errors.append(("tag", "'tag' must be a tag id."))
    if errors:
        raise ValidationFailed(errors)
    return Filters(local_midnight(start_day), local_midnight(end_day + timedelta(days=1)),
                   tuple(dict.fromkeys(categories)), tuple(sorted(set(weekdays))), tuple(sorted(set(hours))),
                   district_id, district_name, tag_id)


def _district(value: str, errors: list) -> tuple[int | None, str | None]:
    if value.isdigit():
        row = db.session.execute(text("SELECT id, name FROM districts WHERE id = :v"),
                                 {"v": int(value) if int(value) < 2**31 else -1}).first()
    else:
        row = db.session.execute(text("SELECT id, name FROM districts WHERE lower(name) = lower(:v)"),
                                 {"v": value}).first()
    if row is None:
        errors.append(("district", f"Unknown district '{value}'."))
        return None, None
    return row.id, row.name


def districts() -> list[tuple[int, str]]:
    """All districts (id, name) for filter forms."""
    return [(r.id, r.name) for r in db.session.execute(text("SELECT id, name FROM districts ORDER BY name"))]


def where_clause(f: Filters, alias: str = "r") -> tuple[str, dict]:
    """SQL condition and parameters selecting the reports of the filters."""
    a = alias
    parts = [f"{a}.created_at >= :start", f"{a}.created_at < :end", f"{a}.location_m IS NOT NULL",
             f"{a}.status NOT IN ('rejected', 'duplicate')"]
    params: dict = {"start": f.start, "end": f.end, "tz": city_timezone().key}
    if f.categories:
        parts.append(f"{a}.category = ANY(:categories)")
        params["categories"] = list(f.categories)
    if f.weekdays:
        parts.append(f"extract(isodow FROM {a}.created_at AT TIME ZONE :tz)::int = ANY(:weekdays)")
        params["weekdays"] = list(f.weekdays)
    if f.hours:
        parts.append(f"extract(hour FROM {a}.created_at AT TIME ZONE :tz)::int = ANY(:hours)")
        params["hours"] = list(f.hours)
    if f.district_id:
        parts.append(f"{a}.district_id = :district_id")
        params["district_id"] = f.district_id
    if f.tag_id:
        parts.append(f"EXISTS (SELECT 1 FROM report_tags rt WHERE rt.report_id = {a}.id AND rt.tag_id = :tag_id)")
        params["tag_id"] = f.tag_id
    return " AND ".join(parts), params


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


# ---------------------------------------------------------------- DBSCAN
@dataclass
class ClusterResult:
    """DBSCAN clusters with the parameters used."""

    clusters: list
    parameters: dict
    reports: int
    clustered: int


def dbscan(f: Filters, eps: float = 50.0, min_points: int = 10, pts: Points | None = None) -> ClusterResult:
    """Density clusters of the filtered reports: DBSCAN (eps metres, min_points) on their exact metric
    positions, the clustering ST_ClusterDBSCAN(location_m, eps, min_points) gives (see gis.hotspots).
    `pts`: the filtered reports with attributes when already fetched."""
    pts = pts if pts is not None else fetch_points(f, attributes=True)
    params = {"method": "dbscan", "eps_m": eps, "min_points": min_points, "srid": current_city().srid, **f.echo()}
    if len(pts) == 0:
        return ClusterResult([], params, 0, 0)
    labels = dbscan_points(pts.x, pts.y, eps, min_points)
    clusters = summarise_clusters(labels, pts.x, pts.y, pts.days, pts.building, pts.retagged)
    return ClusterResult(clusters, params, len(pts), int(np.count_nonzero(labels >= 0)))


# ---------------------------------------------------------------- Gi*
@lru_cache(maxsize=16)
def _grid_cached(area_wkb: bytes, size: float, shape: str) -> gi.Grid:
    return gi.make_grid(wkb.loads(area_wkb), size, shape)


def grid_for(f: Filters, size: float, shape: str) -> gi.Grid:
    """The analysis grid over the study area (cached per area, size and shape)."""
    return _grid_cached(study_area(f).wkb, float(size), shape)


def counts_per_cell(grid: gi.Grid, pts: Points) -> np.ndarray:
    """Number of reports in each grid cell (reports outside the grid are ignored)."""
    if len(pts) == 0:
        return np.zeros(len(grid))
    return grid.count(gi.cell_keys(pts.x, pts.y, grid.size, grid.shape)).astype(float)


@dataclass
class GiResult:
    """Gi* per grid cell with the grid, counts and parameters used."""

    grid: gi.Grid
    counts: np.ndarray
    stats: gi.GiStar
    parameters: dict
    reports: int = 0
    extra: dict = field(default_factory=dict)


def gistar(f: Filters, cell: float = 150.0, shape: str = "hex", fdr: bool = True,
           neighbour_distance: float | None = None, pts: Points | None = None) -> GiResult:
    """Getis-Ord Gi* of report counts per cell, with hot/cold classes at 90/95/99 % (FDR-controlled)."""
    grid = grid_for(f, cell, shape)
    dist = neighbour_distance or gi.default_neighbour_distance(cell, shape)
    pts = pts if pts is not None else fetch_points(f)
    counts = counts_per_cell(grid, pts)
    params = {"method": "gistar", "cell_m": cell, "grid": shape, "neighbour_distance_m": round(dist, 3),
              "fdr": fdr, "levels": list(gi.LEVELS), "cells": len(grid), "srid": current_city().srid, **f.echo()}
    if len(grid) < 3:
        raise ValidationFailed([("cell", "The area holds fewer than three cells; choose a smaller cell size.")])
    stats = gi.analyse(counts, gi.binary_weights(grid.centres, dist), fdr=fdr)
    params["p_thresholds"] = {f"{int(k * 100)}": v for k, v in stats.thresholds.items()}
    return GiResult(grid, counts, stats, params, int(counts.sum()))


def evaluation(f: Filters, cell: float = 150.0, shape: str = "hex", level: float = 0.95, fdr: bool = True,
               pts: Points | None = None):
    """PAI and RRI: hotspots (Gi* hot cells at `level`) of the previous period tested on the chosen one
    (`pts`: the chosen period's reports when already fetched)."""
    before = f.shifted(-1)
    res_t = gistar(before, cell, shape, fdr)
    hot = res_t.stats.klass >= gi.LEVELS.index(level) + 1
    counts_next = counts_per_cell(res_t.grid, pts if pts is not None else fetch_points(f))
    return evaluate(hot, res_t.counts, counts_next, gi.cell_area(cell, shape)), before


# ---------------------------------------------------------------- KDE
def density(f: Filters, bandwidth: float = DEFAULT_BANDWIDTH, resolution: float | None = None,
            pts: Points | None = None):
    """Gaussian kernel density (reports per km²) over the study area, with the bandwidth used."""
    pts = pts if pts is not None else fetch_points(f)
    area = study_area(f)
    d = kde(pts.x, pts.y, area.bounds, bandwidth=bandwidth, resolution=resolution)
    params = {"method": "kde", "bandwidth_m": d.bandwidth, "resolution_m": d.resolution, "kernel": "gaussian",
              "unit": "reports per km²", "srid": current_city().srid, **f.echo()}
    return d, params, len(pts)


# ---------------------------------------------------------------- Knox
MAX_KNOX_REPORTS = 20000


def near_repeat(f: Filters, distances=DEFAULT_DISTANCES, days=DEFAULT_DAYS, permutations: int = 99):
    """Knox test over the filtered reports; ValidationFailed when there are too many to permute."""
    pts = fetch_points(f, attributes=True)
    if len(pts) > MAX_KNOX_REPORTS:
        raise ValidationFailed([("from", (f"{len(pts)} reports are too many for the near-repeat test "
                                          f"(at most {MAX_KNOX_REPORTS}); choose a shorter period or a district."))])
    try:
        return knox_test(pts.x, pts.y, pts.days, distances, days, permutations, seed=0)
    except TooManyPairs as exc:
        raise ValidationFailed([("from", str(exc))]) from exc


# ---------------------------------------------------------------- monthly development
def monthly_cells(f: Filters, size: float = 300.0, shape: str = "square", pts: Points | None = None):
    """Reports per month and (coarse) cell: [(month 'YYYY-MM', [(lon, lat, count), ...]), ...]
    (`pts`: the filtered reports with attributes when already fetched)."""
    pts = pts if pts is not None else fetch_points(f, attributes=True)
    if len(pts) == 0:
        return []
    keys = gi.cell_keys(pts.x, pts.y, size, shape)
    tz = city_timezone()
    stamps = pts.days * DAY_S
    # Month index in the city's time zone; numpy has no time zones, so go through the distinct days.
    day_idx = np.floor(stamps / DAY_S).astype(np.int64)
    uniq_days, day_inv = np.unique(day_idx, return_inverse=True)
    local_days = [datetime.fromtimestamp(int(u) * DAY_S + 43200, tz) for u in uniq_days]
    month_of_day = np.array([d.year * 12 + d.month - 1 for d in local_days])
    months = month_of_day[day_inv.ravel()]
    uniq, counts = gi.distinct_rows(np.column_stack((months, keys)))
    centres = gi.cell_centres(uniq[:, 1:], size, shape)
    lonlat = _to_lonlat(centres)
    out: dict[int, list] = {}
    for (m, *_), (lon, lat), c in zip(uniq.tolist(), lonlat, counts.tolist()):
        out.setdefault(m, []).append((round(lon, 6), round(lat, 6), int(c)))
    first, last = min(out), max(out)
    return [(f"{m // 12:04d}-{m % 12 + 1:02d}", out.get(m, [])) for m in range(first, last + 1)]


def _to_lonlat(xy: np.ndarray) -> list[tuple[float, float]]:
    """Metric coordinates (n, 2) to WGS84 lon/lat pairs."""
    from gis.projection import transformer

    if len(xy) == 0:
        return []
    lon, lat = transformer(current_city().srid, 4326).transform(xy[:, 0], xy[:, 1])
    return list(zip(np.atleast_1d(lon).tolist(), np.atleast_1d(lat).tolist()))


def to_lonlat(xy: np.ndarray) -> list[tuple[float, float]]:
    """Public wrapper: metric coordinates (n, 2) to WGS84 lon/lat pairs."""
    return _to_lonlat(np.asarray(xy, dtype=float).reshape(-1, 2))


def metric_to_wgs84(geom):
    """A metric shapely geometry in WGS84."""
    return to_wgs84(geom, current_city().srid)


def day_to_datetime(days: float) -> datetime:
    """Days since 1970 (UTC) to an aware datetime in the city's time zone."""
    return datetime.fromtimestamp(days * DAY_S, UTC).astimezone(city_timezone())


def isfinite_or_none(v):
    """JSON-safe number: None for nan/inf."""
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v
