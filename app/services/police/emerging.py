"""Emerging hot spots of the filtered reports: Gi* per month or quarter on one grid, a Mann-Kendall trend per
cell and the patterns of ArcGIS Pro's Emerging Hot Spot Analysis (see gis.emerging)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.city import current_city
from app.services.police import analyses, points
from app.services.police.filters import Filters
from app.services.police.points import Points
from gis import gistar as gi
from gis.emerging import MIN_STEPS, NO_PATTERN, classify_patterns

STEPS = ("month", "quarter")
DEFAULT_CELL = 300.0  # coarser than the Gi* map's 150 m: a month holds a twelfth of a year's reports
LEVEL = 0.95  # a step's hot or cold spot: Gi* class at 95 % (FDR over the cells of that step)
TOO_FEW = "too_few_reports"


@dataclass
class EmergingResult:
    """Per cell: reports over the period, pattern code, hot and cold steps, trend; with the steps and parameters."""

    grid: gi.Grid
    counts: np.ndarray
    patterns: np.ndarray
    hot_steps: np.ndarray
    cold_steps: np.ndarray
    trend: object
    steps: list[str]
    parameters: dict
    sufficient: bool


def _step_of(month_index: np.ndarray, step: str) -> np.ndarray:
    return month_index if step == "month" else month_index // 3


def _step_label(index: int, step: str) -> str:
    if step == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{index // 4:04d}-Q{index % 4 + 1}"


def emerging(f: Filters, cell: float = DEFAULT_CELL, shape: str = "hex", step: str = "month", fdr: bool = True,
             permutations: int = gi.PERMUTATIONS, pts: Points | None = None) -> EmergingResult:
    """Emerging hot spot patterns per cell over the months or quarters of the filtered period."""
    pts = pts if pts is not None else points.fetch_points(f, attributes=True)
    grid = analyses.grid_for(f, cell, shape)
    w = gi.binary_weights(grid.centres, gi.default_neighbour_distance(cell, shape))
    first, last = (_step_of(analyses.month_index(np.array([d])), step)[0]
                   for d in (f.start.timestamp() / 86400, f.end.timestamp() / 86400 - 1))
    n_steps = int(last - first + 1)
    counts = np.zeros((len(grid), n_steps))
    if len(pts):
        at = _step_of(analyses.month_index(pts.days), step) - first
        keys = gi.cell_keys(pts.x, pts.y, grid.size, grid.shape)
        for t in range(n_steps):
            counts[:, t] = grid.count(keys[at == t])
    total = float(counts.sum())
    sufficient = (n_steps >= MIN_STEPS and total >= gi.MIN_REPORTS
                  and gi.enough_for_a_statement(total / n_steps, w))
    used = permutations
    if permutations:
        kmax = int(np.diff(w.indptr).max())
        cost = n_steps * kmax * max(len(np.unique(counts[:, t])) for t in range(n_steps))
        used = analyses.within_budget(permutations, cost, analyses.GI_PERMUTATION_BUDGET)
    params = {"method": "emerging", "cell_m": cell, "grid": shape, "step": step, "steps": n_steps,
              "level": LEVEL, "fdr": fdr, "permutations": used, "permutations_requested": permutations, "seed": 0,
              "trend": "mann-kendall", "trend_alpha": 0.05, "min_steps": MIN_STEPS, "statement": sufficient,
              "cells": len(grid), "srid": current_city().srid, **f.echo()}
    steps = [_step_label(first + t, step) for t in range(n_steps)]
    rank = gi.LEVELS.index(LEVEL) + 1
    classes = np.zeros(counts.shape, dtype=np.int64)
    z = np.zeros(counts.shape)
    if not sufficient:
        patterns = np.full(len(grid), TOO_FEW, dtype=object)
        return EmergingResult(grid, counts.sum(axis=1), patterns, classes[:, 0], classes[:, 0], None, steps, params,
                              False)
    for t in range(n_steps):
        st = gi.analyse(counts[:, t], w, fdr=fdr, permutations=used, seed=t)
        classes[:, t] = np.where(np.abs(st.klass) >= rank, np.sign(st.klass), 0)
        z[:, t] = st.z
    patterns, trend = classify_patterns(classes, z)
    return EmergingResult(grid, counts.sum(axis=1), patterns, (classes > 0).sum(axis=1), (classes < 0).sum(axis=1),
                          trend, steps, params, True)


def pattern_cells(res: EmergingResult) -> np.ndarray:
    """The cells with a pattern (all cells with reports when there are too few for a statement)."""
    if not res.sufficient:
        return np.flatnonzero(res.counts > 0)
    return np.flatnonzero(res.patterns != NO_PATTERN)
