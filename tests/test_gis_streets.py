"""The street network (gis/streets.py) and the meaning of OpenStreetMap tags (gis/osm_tags.py), without a
database: distances on a small grid of streets checked by hand and against every possible path."""
import itertools
import math

import numpy as np
import pytest
from shapely.geometry import LineString

from gis import osm_tags
from gis.streets import StreetNetwork, split_ways


def _grid(oneway=None, speed=30.0):
    """A 3 x 3 grid of 100 m blocks: nodes (i, j) at x = 100 i, y = 100 j; node id 10 i + j."""
    lines, src, tgt = [], [], []
    for i, j in itertools.product(range(3), range(3)):
        for di, dj in ((1, 0), (0, 1)):
            if i + di < 3 and j + dj < 3:
                lines.append(LineString([(100 * i, 100 * j), (100 * (i + di), 100 * (j + dj))]))
                src.append(10 * i + j)
                tgt.append(10 * (i + di) + j + dj)
    ow = [0] * len(lines) if oneway is None else [oneway(s, t) for s, t in zip(src, tgt, strict=True)]
    return StreetNetwork(lines, src, tgt, ow, [speed] * len(lines))


def test_ways_are_cut_where_another_way_joins():
    a = ([1, 2, 3], [(0, 0), (1, 0), (2, 0)])
    b = ([4, 2, 5], [(1, 1), (1, 0), (1, -1)])
    c = ([6, 7], [(5, 5), (6, 5)])
    pieces = split_ways([a, b, c])
    assert [(w, s, t) for w, s, t, _ in pieces] == [(0, 1, 2), (0, 2, 3), (1, 4, 2), (1, 2, 5), (2, 6, 7)]
    assert pieces[1][3] == [(1, 0), (2, 0)]


def test_distances_on_a_grid_are_block_distances():
    net = _grid()
    pts = [(0, 50), (200, 150), (100, 100), (130, 0)]  # on streets: the access lines are zero
    m = net.matrix(pts)
    assert m[0, 1] == pytest.approx(50 + 200 + 50)   # up to (0,100), across, up again
    assert m[0, 2] == pytest.approx(150)
    assert m[2, 3] == pytest.approx(130)
    assert np.allclose(m, m.T) and np.all(np.diag(m) == 0)


def test_a_point_off_the_street_walks_there_in_a_straight_line():
    net = _grid()
    m = net.matrix([(50, 30), (50, 170)])  # 30 m off street y=0 and 30 m off street y=200 (inside blocks)
    assert m[0, 1] == pytest.approx(30 + 50 + 200 + 50 + 30)


def test_street_distances_are_never_shorter_than_the_straight_line():
    net = _grid()
    rng = np.random.default_rng(7)
    pts = rng.uniform(-30, 230, size=(25, 2))
    m = net.matrix(pts)
    straight = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=2))
    assert np.all(m >= straight - 1e-6)


def test_one_way_streets_are_driven_one_way_only():
    # every street is one-way away from node 0 (increasing i or j): going back means no path at all
    net = _grid(oneway=lambda s, t: 1)
    m = net.matrix([(0, 50), (200, 150)])
    assert m[0, 1] == pytest.approx(300)
    assert math.isinf(m[1, 0])
    # against the drawing direction (-1): the other way round
    back = _grid(oneway=lambda s, t: -1).matrix([(0, 50), (200, 150)])
    assert math.isinf(back[0, 1]) and back[1, 0] == pytest.approx(300)


def test_one_way_on_the_same_edge():
    net = _grid(oneway=lambda s, t: 1)
    m = net.matrix([(0, 20), (0, 80)])
    assert m[0, 1] == pytest.approx(60)
    assert math.isinf(m[1, 0])


def test_times_follow_the_speed():
    net = _grid(speed=36.0)  # 10 m/s
    t = net.matrix([(0, 50), (200, 150)], weight="time")
    assert t[0, 1] == pytest.approx(30.0)


def test_the_path_runs_along_the_streets_and_has_the_matrix_length():
    net = _grid()
    a, b = (0, 50), (200, 150)
    length, line = net.path(a, b)
    assert length == pytest.approx(net.matrix([a, b])[0, 1])
    assert line.length == pytest.approx(length)
    streets = net.lines[0]
    for piece in net.lines[1:]:
        streets = streets.union(piece)
    assert streets.buffer(1e-6).covers(line)
    assert line.coords[0] == a and line.coords[-1] == b


def test_no_path_is_none():
    net = _grid(oneway=lambda s, t: 1)
    length, line = net.path((200, 150), (0, 50))
    assert math.isinf(length) and line is None


@pytest.mark.parametrize("tags,oneway", [
    ({"highway": "residential"}, 0), ({"highway": "residential", "oneway": "yes"}, 1),
    ({"highway": "residential", "oneway": "-1"}, -1), ({"highway": "primary", "junction": "roundabout"}, 1),
    ({"highway": "motorway"}, 1), ({"highway": "motorway", "oneway": "no"}, 0),
])
def test_one_way_tags(tags, oneway):
    assert osm_tags.oneway(tags) == oneway


@pytest.mark.parametrize("tags,kmh", [
    ({"highway": "residential"}, 30), ({"highway": "residential", "maxspeed": "50"}, 50),
    ({"highway": "primary", "maxspeed": "30 mph"}, 30 * 1.609344), ({"highway": "residential", "maxspeed": "DE:zone30"}, 30),
    ({"highway": "living_street", "maxspeed": "walk"}, 7), ({"highway": "service", "maxspeed": "signals"}, 15),
])
def test_speed_tags(tags, kmh):
    assert osm_tags.speed_kmh(tags) == pytest.approx(kmh)


def test_routable_classes():
    assert osm_tags.is_routable({"highway": "service", "access": "private"})  # crews may use driveways
    assert not osm_tags.is_routable({"highway": "residential", "motor_vehicle": "no"})
    assert not osm_tags.is_routable({"highway": "footway"})
    assert not osm_tags.is_routable({"highway": "pedestrian"})


def test_owner_rules():
    rules = osm_tags.parse_owner_rules(osm_tags.DEFAULT_OWNER_RULES)
    assert osm_tags.owner_type({"building": "school"}, rules) == "municipal"
    assert osm_tags.owner_type({"building": "yes", "operator:type": "government"}, rules) == "public"
    assert osm_tags.owner_type({"building": "house"}, rules) == "private"
    us = osm_tags.parse_owner_rules("building=school:public, ownership=municipal:municipal")
    assert osm_tags.owner_type({"building": "school"}, us) == "public"
    for bad in ("building=school", "building=school:city", "=x:public", "building=:public"):
        with pytest.raises(osm_tags.RuleError):
            osm_tags.parse_owner_rules(bad)


def test_addresses():
    tags = {"addr:street": "Haydnstraße", "addr:housenumber": "4"}
    assert osm_tags.address(tags) == "Haydnstraße 4"
    assert osm_tags.address({"addr:street": "7th Street", "addr:housenumber": "1200"}, True) == "1200 7th Street"
    assert osm_tags.address({"addr:street": "Haydnstraße"}) is None
