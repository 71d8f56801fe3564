"""Emerging hot spots: Gi* per time step on one grid, a Mann-Kendall trend per cell, and ArcGIS Pro's patterns.

Each time step (month or quarter) gets its own Gi* (same grid and weights, FDR over the cells of that step);
a cell is a hot (cold) spot in a step when its class there is positive (negative) at the chosen level. The
trend is the Mann-Kendall test of the cell's Gi* z-scores over the steps (gis.trend). The patterns follow the
definitions of ArcGIS Pro's Emerging Hot Spot Analysis ("How Emerging Hot Spot Analysis works",
Space Time Pattern Mining toolbox), with n steps and "90 %" meaning at least 0.9 n steps:

- new: hot in the final step and never hot before;
- consecutive: a single uninterrupted run of at least two hot steps at the end, never hot before the run,
  and hot in less than 90 % of the steps;
- intensifying: hot in at least 90 % of the steps including the final one, and the z-scores' trend is
  significantly upward;
- persistent: hot in at least 90 % of the steps including the final one, with no significant trend
  (ArcGIS does not name the final step here; requiring it keeps "historical" apart);
- diminishing: hot in at least 90 % of the steps including the final one, trend significantly downward;
- sporadic: hot in the final step, hot in less than 90 % of the steps, never cold, and neither new nor
  consecutive (on-again, off-again);
- oscillating: hot in the final step, cold in some earlier step, hot in less than 90 % of the steps (and
  neither new nor consecutive);
- historical: not hot in the final step, but hot in at least 90 % of the steps;
- the same eight for cold spots (cold for hot, downward for upward); otherwise no pattern.
"""
from __future__ import annotations

import numpy as np

from gis.trend import mann_kendall

PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
            "historical")
NO_PATTERN = "no_pattern"
CODES = tuple(f"{p}_{kind}" for kind in ("hot", "cold") for p in PATTERNS) + (NO_PATTERN,)
MIN_STEPS = 10  # Mann-Kendall over fewer steps has too few attainable p-values to say much


def classify_patterns(classes: np.ndarray, z: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, object]:
    """Pattern codes per cell from per-step classes (cells x steps; > 0 hot, < 0 cold, 0 neither) and
    z-scores (cells x steps), with the Mann-Kendall trend of the z-scores (significance `alpha`)."""
    classes = np.asarray(classes)
    trend = mann_kendall(z)
    up = (trend.p <= alpha) & (trend.s > 0)
    down = (trend.p <= alpha) & (trend.s < 0)
    out = np.full(len(classes), NO_PATTERN, dtype=object)
    for kind, spot, other, rising, falling in (("hot", classes > 0, classes < 0, up, down),
                                              ("cold", classes < 0, classes > 0, down, up)):
        codes = _patterns(spot, other, rising, falling)
        free = out == NO_PATTERN
        out[free & (codes != "")] = np.char.add(codes[free & (codes != "")].astype(str), f"_{kind}")
    return out, trend


def _patterns(spot: np.ndarray, other: np.ndarray, rising: np.ndarray, falling: np.ndarray) -> np.ndarray:
    """The pattern (without _hot/_cold) of each cell, "" for none; `spot`: the kind's steps, `other`: the
    opposite kind's, `rising`/`falling`: significant trends towards and away from the kind."""
    n = spot.shape[1]
    final = spot[:, -1]
    count = spot.sum(axis=1)
    mostly = count >= 0.9 * n
    # Length of the final run of spot steps, and whether any spot step lies before it.
    run = np.argmin(np.c_[spot[:, ::-1], np.zeros(len(spot), dtype=bool)], axis=1)
    before = count > run
    ever_other = other[:, :-1].any(axis=1)
    out = np.full(len(spot), "", dtype=object)
    rules = [
        ("new", final & (count == 1)),
        ("consecutive", final & (run >= 2) & ~before & ~mostly),
        ("intensifying", final & mostly & rising),
        ("diminishing", final & mostly & falling),
        ("persistent", final & mostly & ~rising & ~falling),
        ("oscillating", final & ~mostly & ever_other),
        ("sporadic", final & ~mostly & ~ever_other),
        ("historical", ~final & mostly),
    ]
    for name, mask in rules:
        out[(out == "") & mask] = name
    return out
