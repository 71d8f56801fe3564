"""Hotspot analyses of the filtered reports: DBSCAN clusters, Gi* cells, PAI/RRI, density, near repeat, months.

Each takes the filters (and the points when already fetched) and returns plain results for maps and exports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
from flask_babel import gettext as _
from shapely import wkb

from app.city import current_city
from app.errors import ValidationFailed
from app.services.core.workdays import city_timezone
from app.services.police.filters import DAY_S, Filters
from app.services.police import budget, points
from app.services.police.points import Points, study_area, to_lonlat
from gis import gistar as gi
from gis.clusters import summarise_clusters
from gis.dbscan import dbscan_points
from gis.evaluation import evaluate
from gis.kde import DEFAULT_BANDWIDTH, kde
from gis.knox import DEFAULT_DAYS, DEFAULT_DISTANCES, TooManyPairs, count_pairs, knox_test


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
    positions, the clustering ST_ClusterDBSCAN(location_m, eps, min_points) gives (see gis.dbscan).
    `pts`: the filtered reports with attributes when already fetched."""
    pts = pts if pts is not None else points.fetch_points(f, attributes=True)
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
    """The analysis grid over the study area (cached per area, size and shape); ValidationFailed when it would
    have more cells than budget.MAX_GI_CELLS."""
    area = study_area(f)
    budget.check_gistar(area, size, shape)
    return _grid_cached(area.wkb, float(size), shape)


def counts_per_cell(grid: gi.Grid, pts: Points) -> np.ndarray:
    """Number of reports in each grid cell (reports outside the grid are ignored)."""
    if len(pts) == 0:
        return np.zeros(len(grid))
    return grid.count(gi.cell_keys(pts.x, pts.y, grid.size, grid.shape)).astype(float)


@dataclass
class GiResult:
    """Gi* per grid cell with the grid, counts and parameters used; `sufficient` is False when the reports are too
    few for a statement (then only the counts may be shown: classes are all 0 and p-values were not computed)."""

    grid: gi.Grid
    counts: np.ndarray
    stats: gi.GiStar
    parameters: dict
    reports: int = 0
    extra: dict = field(default_factory=dict)
    sufficient: bool = True


# Work of one Gi* permutation test: distinct counts x permutations x largest neighbourhood (see gis.gistar).
GI_PERMUTATION_BUDGET = 15_000_000  # about 2 s (999 at 1,000,000 reports: 5,000,000, 0.24 s)


def within_budget(requested: int, cost_per_permutation: float, limit: float, floor: int = 99) -> int:
    """The permutations to run: as many as asked for while they fit the analysis budget, at least `floor`."""
    fits = int(limit // max(cost_per_permutation, 1.0))
    return max(min(requested, fits), min(requested, floor))


def gistar(f: Filters, cell: float = 150.0, shape: str = "hex", fdr: bool = True,
           neighbour_distance: float | None = None, pts: Points | None = None,
           permutations: int = gi.PERMUTATIONS) -> GiResult:
    """Getis-Ord Gi* of report counts per cell, with hot/cold classes at 90/95/99 % (FDR-controlled); p-values by
    `permutations` conditional permutations (0: the normal approximation), seeded."""
    grid = grid_for(f, cell, shape)
    dist = neighbour_distance or gi.default_neighbour_distance(cell, shape)
    pts = pts if pts is not None else points.fetch_points(f)
    counts = counts_per_cell(grid, pts)
    if len(grid) < 3:
        raise ValidationFailed([("cell", _("Das Gebiet umfasst weniger als drei Zellen; bitte eine kleinere Zellgröße "
                                           "wählen."))])
    w = gi.binary_weights(grid.centres, dist)
    total = float(counts.sum())
    sufficient = gi.enough_for_a_statement(total, w)
    used = permutations
    if permutations:
        kmax = int(np.diff(w.indptr).max())
        used = within_budget(permutations, len(np.unique(counts)) * kmax, GI_PERMUTATION_BUDGET)
    params = {"method": "gistar", "cell_m": cell, "grid": shape, "neighbour_distance_m": round(dist, 3),
              "fdr": fdr, "levels": list(gi.LEVELS), "cells": len(grid), "srid": current_city().srid,
              "inference": "permutation" if permutations else "normal", "permutations": used,
              "permutations_requested": permutations, "seed": 0,
              "smallest_p": round(min(1.0, 2 / (used + 1)), 6) if used else 0.0,
              "statement": sufficient, "min_reports": gi.MIN_REPORTS,
              "expected_per_neighbourhood": round(gi.expected_per_neighbourhood(total, w), 3),
              "min_expected_per_neighbourhood": gi.MIN_EXPECTED_PER_NEIGHBOURHOOD, **f.echo()}
    if sufficient:
        stats = gi.analyse(counts, w, fdr=fdr, permutations=used, seed=0)
        params["p_thresholds"] = {f"{int(k * 100)}": v for k, v in stats.thresholds.items()}
    else:
        g, z, _p = gi.gi_star(counts, w)
        stats = gi.GiStar(g, z, np.ones(len(grid)), np.zeros(len(grid), dtype=np.int64), {}, used)
    return GiResult(grid, counts, stats, params, int(total), sufficient=sufficient)


def evaluation(f: Filters, cell: float = 150.0, shape: str = "hex", level: float = 0.95, fdr: bool = True,
               pts: Points | None = None, permutations: int = gi.PERMUTATIONS):
    """PAI and RRI: hotspots (Gi* hot cells at `level`) of the previous period tested on the chosen one
    (`pts`: the chosen period's reports when already fetched). The verdict's test needs hotspots found with
    enough reports: `sufficient` of the previous period's Gi* is part of the result."""
    before = f.shifted(-1)
    res_t = gistar(before, cell, shape, fdr, permutations=permutations)
    hot = res_t.stats.klass >= gi.LEVELS.index(level) + 1
    counts_next = counts_per_cell(res_t.grid, pts if pts is not None else points.fetch_points(f))
    ev = evaluate(hot, res_t.counts, counts_next, gi.cell_area(cell, shape))
    ev.sufficient = res_t.sufficient and int(counts_next.sum()) >= gi.MIN_REPORTS
    return ev, before


# ---------------------------------------------------------------- KDE
def density(f: Filters, bandwidth: float = DEFAULT_BANDWIDTH, resolution: float | None = None,
            pts: Points | None = None):
    """Gaussian kernel density (reports per km²) over the study area, with the bandwidth used."""
    pts = pts if pts is not None else points.fetch_points(f)
    area = study_area(f)
    d = kde(pts.x, pts.y, area.bounds, bandwidth=bandwidth, resolution=resolution)
    params = {"method": "kde", "bandwidth_m": d.bandwidth, "resolution_m": d.resolution, "kernel": "gaussian",
              "unit": "reports per km²", "srid": current_city().srid, **f.echo()}
    return d, params, len(pts)


# ---------------------------------------------------------------- Knox
KNOX_PERMUTATIONS = 999  # by default, as many as fit the work budget up to this


def near_repeat(f: Filters, distances=DEFAULT_DISTANCES, days=DEFAULT_DAYS, permutations: int | None = None):
    """Knox test over the filtered reports with `permutations` as asked for or (None) as many as fit the work
    budget, at most KNOX_PERMUTATIONS and at least 99; ValidationFailed when over its budget (budget.check_knox)."""
    pts = points.fetch_points(f, attributes=True)
    pairs = count_pairs(pts.x, pts.y, max(distances)) if len(pts) <= budget.MAX_KNOX_REPORTS else 0
    asked = permutations
    if permutations is None:
        permutations = within_budget(KNOX_PERMUTATIONS, pairs, budget.MAX_KNOX_WORK)
    budget.check_knox(len(pts), pairs, permutations)
    try:
        result = knox_test(pts.x, pts.y, pts.days, distances, days, permutations, seed=0)
        result.permutations_requested = KNOX_PERMUTATIONS if asked is None else asked
        return result
    except TooManyPairs as exc:
        raise ValidationFailed([("from", _("Zu viele Paare von Vorfällen: bitte Zeitraum oder Gebiet "
                                           "eingrenzen."))]) from exc


# ---------------------------------------------------------------- monthly development
def month_index(days: np.ndarray) -> np.ndarray:
    """year * 12 + month - 1 of each time (days since 1970, UTC) in the city's time zone (a report at 00:30 on
    1 June in Heilbronn, 22:30 UTC on 31 May, is a June report)."""
    tz = city_timezone()
    days = np.asarray(days, dtype=float)
    # numpy has no time zones: take the offset of each distinct UTC day at noon (switches happen at 01:00 UTC,
    # never near a local midnight), then the local day, then its month.
    uniq, inv = np.unique(np.floor(days).astype(np.int64), return_inverse=True)
    offset = np.array([datetime.fromtimestamp(int(u) * DAY_S + 43200, tz).utcoffset().total_seconds() / DAY_S
                       for u in uniq])
    local = np.floor(days + offset[inv.ravel()]).astype(np.int64)
    uniq, inv = np.unique(local, return_inverse=True)
    epoch = date(1970, 1, 1)
    months = np.array([(d.year * 12 + d.month - 1) for d in (epoch + timedelta(days=int(u)) for u in uniq)],
                      dtype=np.int64)
    return months[inv.ravel()]


def monthly_cells(f: Filters, size: float = 300.0, shape: str = "square", pts: Points | None = None):
    """Reports per month and (coarse) cell: [(month 'YYYY-MM', [(lon, lat, count), ...]), ...]
    (`pts`: the filtered reports with attributes when already fetched)."""
    pts = pts if pts is not None else points.fetch_points(f, attributes=True)
    if len(pts) == 0:
        return []
    keys = gi.cell_keys(pts.x, pts.y, size, shape)
    months = month_index(pts.days)
    uniq, counts = gi.distinct_rows(np.column_stack((months, keys)))
    centres = gi.cell_centres(uniq[:, 1:], size, shape)
    lonlat = to_lonlat(centres)
    out: dict[int, list] = {}
    for (m, *_cell), (lon, lat), c in zip(uniq.tolist(), lonlat, counts.tolist(), strict=True):
        out.setdefault(m, []).append((round(lon, 6), round(lat, 6), int(c)))
    first, last = min(out), max(out)
    return [(f"{m // 12:04d}-{m % 12 + 1:02d}", out.get(m, [])) for m in range(first, last + 1)]
