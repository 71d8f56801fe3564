"""Summaries of density clusters: hull, report count, first and last date, buildings and re-tagged buildings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import ConvexHull, QhullError
from shapely.geometry import Polygon


@dataclass
class Cluster:
    """A density cluster: hull in metres, counts, dates and re-tagging."""

    label: int
    hull: Polygon
    count: int
    first: object
    last: object
    buildings: int
    retagged_buildings: int

    @property
    def retagged_share(self) -> float | None:
        """Share of the cluster's buildings that were tagged again after a removal."""
        return self.retagged_buildings / self.buildings if self.buildings else None


DEGENERATE_HULL_M = 1.0  # a cluster on one position or one line is shown grown by this much


def _hull(x: np.ndarray, y: np.ndarray) -> Polygon:
    """Convex hull of points; a point or line hull grown by DEGENERATE_HULL_M so that it is a polygon.

    Points strictly inside the octagon of the extreme points in eight directions cannot be hull vertices;
    they are dropped first, which keeps the hull cheap for clusters of many reports.
    """
    extremes = np.array([np.argmin(x), np.argmin(x + y), np.argmin(y), np.argmax(x - y), np.argmax(x),
                         np.argmax(x + y), np.argmax(y), np.argmax(y - x)])  # counter-clockwise
    ex, ey = x[extremes], y[extremes]
    inside = np.arange(len(x))
    for k in range(8):  # strictly left of every edge of the octagon: strictly inside it
        ax, ay, bx, by = ex[k], ey[k], ex[(k + 1) % 8], ey[(k + 1) % 8]
        inside = inside[(bx - ax) * (y[inside] - ay) - (by - ay) * (x[inside] - ax) > 0]
    keep = np.ones(len(x), dtype=bool)
    keep[inside] = False
    pts = np.column_stack((x[keep], y[keep]))
    if len(pts) >= 3:
        try:
            return Polygon(pts[ConvexHull(pts).vertices])  # counter-clockwise
        except QhullError:  # all on one line (or one position)
            pass
    return shapely.convex_hull(shapely.multipoints(pts)).buffer(DEGENERATE_HULL_M, quad_segs=4)


def summarise_clusters(labels, x, y, days, building, retagged) -> list[Cluster]:
    """Per cluster (label >= 0): hull of its reports, report count, first/last date, buildings.

    Per report: its cluster label (negative, gis.dbscan.NOISE, for none), metric position, date (days), building id (-1 for none)
    and whether it was a re-tag. Clusters are listed by falling report count.
    """
    labels = np.asarray(labels)
    inside = np.flatnonzero(labels >= 0)
    lab = labels[inside]
    small = len(lab) == 0 or lab.max() < 2**16  # then a radix sort of 16-bit labels
    order = inside[np.argsort(lab.astype(np.uint16) if small else lab, kind="stable")]
    lab = labels[order]
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    if not len(lab):
        return []
    days, building = np.asarray(days)[order], np.asarray(building, dtype=np.int64)[order]
    known = building >= 0
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    first, last = np.minimum.reduceat(days, starts), np.maximum.reduceat(days, starts)
    buildings = _distinct_per_label(lab, building, known)
    retagged_buildings = _distinct_per_label(lab, building, known & np.asarray(retagged, dtype=bool)[order])
    out = []
    for i, (s, e) in enumerate(zip(starts, np.r_[starts[1:], len(lab)], strict=True)):
        out.append(Cluster(int(lab[s]), _hull(x[s:e], y[s:e]), int(e - s), float(first[i]), float(last[i]),
                           int(buildings[lab[s]]), int(retagged_buildings[lab[s]])))
    out.sort(key=lambda c: (-c.count, c.label))
    return out


def _distinct_per_label(lab: np.ndarray, values: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per label 0..lab.max(): the number of distinct non-negative values among the elements marked `use`
    (one sort of label-value pairs instead of one unique per label)."""
    span = int(values[use].max()) + 1 if use.any() else 1
    pairs = np.sort(lab[use] * span + values[use])
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(distinct // span, minlength=int(lab.max()) + 1)
