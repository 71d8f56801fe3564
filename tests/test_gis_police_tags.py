"""Tags overlapping in space and time are suggested as possibly the same sprayer."""
import numpy as np

from gis.police_tags import TagIncidents, suggest_same_sprayer


def tag(i, name, x, y, days):
    return TagIncidents(i, name, np.asarray(x, float), np.asarray(y, float), np.asarray(days, float))


def test_overlapping_tags_are_suggested_and_distant_ones_not():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 200, 30)
    a = tag(1, "noiz", rng.normal(0, 80, 30), rng.normal(0, 80, 30), t)
    b = tag(2, "n0iz", rng.normal(0, 80, 20), rng.normal(0, 80, 20), t[:20] + 2)
    far = tag(3, "krak", rng.normal(5000, 80, 25), rng.normal(0, 80, 25), rng.uniform(0, 200, 25))
    same_place_other_year = tag(4, "zebo", rng.normal(0, 80, 25), rng.normal(0, 80, 25), rng.uniform(800, 1000, 25))
    out = suggest_same_sprayer([a, b, far, same_place_other_year])
    assert [(o.a.name, o.b.name) for o in out] == [("noiz", "n0iz")]
    assert out[0].score > 0.5
