"""Tags that may belong to the same sprayer: incidents that overlap in space and time.

Two tags overlap when many incidents of one have an incident of the other close by (within
`distance` metres) and close in time (within `days`). The score of a pair is the smaller of the two
shares "incidents of A with such a neighbour of B" and "incidents of B with such a neighbour of A", so a
small tag inside a big tag's area is not suggested just because the big tag is everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.spatial import cKDTree


@dataclass
class TagIncidents:
    """The incidents of one tag: metric positions and dates in days."""

    tag_id: int
    name: str
    x: np.ndarray
    y: np.ndarray
    days: np.ndarray


@dataclass
class Overlap:
    """A suggested pair of tags with the shares of each one's incidents near the other's."""

    a: TagIncidents
    b: TagIncidents
    share_a: float
    share_b: float
    near_a: int
    near_b: int

    @property
    def score(self) -> float:
        """The smaller share: how much both tags overlap."""
        return min(self.share_a, self.share_b)


def _near_share(p: TagIncidents, q: TagIncidents, distance: float, days: float) -> int:
    """How many incidents of p have an incident of q within distance and days."""
    if len(p.x) == 0 or len(q.x) == 0:
        return 0
    tree = cKDTree(np.column_stack((q.x, q.y)))
    hits = tree.query_ball_point(np.column_stack((p.x, p.y)), distance)
    return sum(1 for k, near in enumerate(hits) if near and np.any(np.abs(q.days[near] - p.days[k]) <= days))


def suggest_same_sprayer(tags: list[TagIncidents], distance: float = 250.0, days: float = 14.0,
                         min_score: float = 0.2, min_incidents: int = 3) -> list[Overlap]:
    """Pairs of tags whose incidents overlap in space and time, best first."""
    out = []
    for a, b in combinations(tags, 2):
        if len(a.x) < min_incidents or len(b.x) < min_incidents:
            continue
        near_a = _near_share(a, b, distance, days)
        near_b = _near_share(b, a, distance, days)
        o = Overlap(a, b, near_a / len(a.x), near_b / len(b.x), near_a, near_b)
        if o.score >= min_score and min(near_a, near_b) >= min_incidents:
            out.append(o)
    out.sort(key=lambda o: -o.score)
    return out
