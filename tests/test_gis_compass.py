"""Compass points of bearings (pure, no database)."""
import pytest

from gis.compass import compass_point


@pytest.mark.parametrize("bearing, point", [
    (0, "n"), (22.4, "n"), (22.6, "ne"), (45, "ne"), (90, "e"), (135, "se"), (180, "s"), (225, "sw"),
    (270, "w"), (315, "nw"), (337.6, "n"), (359.9, "n"), (-90, "w"), (450, "e"),
])
def test_the_nearest_of_eight_points(bearing, point):
    assert compass_point(bearing) == point
