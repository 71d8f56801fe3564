"""Route ordering of a crew's day: exact on small cases, never longer than the input order."""
import itertools
import random

import pytest

from gis.routing import EXACT_LIMIT, distance_matrix, nearest_neighbour, order_stops, tour_length, two_opt


def _points(rng, n, size=6000.0):
    return [(rng.uniform(0, size), rng.uniform(0, size)) for _ in range(n)]


def _brute_force(depot, stops):
    matrix = distance_matrix(depot, stops)
    return min(tour_length(matrix, p) for p in itertools.permutations(range(len(stops))))


@pytest.mark.parametrize("seed", range(25))
def test_small_tours_match_brute_force(seed):
    rng = random.Random(seed)
    depot, stops = (3000.0, 3000.0), _points(rng, rng.randint(1, 7))
    tour = order_stops(depot, stops)
    assert sorted(tour.order) == list(range(len(stops)))
    assert tour.distance_m == pytest.approx(_brute_force(depot, stops), abs=1e-6)
    assert sum(tour.legs_m) == pytest.approx(tour.distance_m)


@pytest.mark.parametrize("seed", range(15))
def test_heuristic_is_never_longer_than_the_input_order(seed):
    rng = random.Random(100 + seed)
    depot, stops = (0.0, 0.0), _points(rng, rng.randint(EXACT_LIMIT + 1, 30))
    matrix = distance_matrix(depot, stops)
    tour = order_stops(depot, stops)
    assert sorted(tour.order) == list(range(len(stops)))
    assert tour.distance_m <= tour_length(matrix, range(len(stops))) + 1e-6
    # and it does better than plain nearest neighbour on random days
    assert tour.distance_m <= tour_length(matrix, nearest_neighbour(matrix)) + 1e-6


def test_heuristic_on_small_cases_is_close_to_optimal():
    """The 2-opt/Or-opt path (forced with exact_limit=0) finds the optimum on most 7-stop days."""
    rng = random.Random(7)
    hits = 0
    for _ in range(30):
        depot, stops = (3000.0, 3000.0), _points(rng, 7)
        heuristic = order_stops(depot, stops, exact_limit=0).distance_m
        best = _brute_force(depot, stops)
        assert heuristic <= best * 1.15
        hits += heuristic == pytest.approx(best)
    assert hits >= 20


def test_two_opt_untangles_a_crossing():
    depot = (0.0, 0.0)
    stops = [(0.0, 100.0), (100.0, 0.0), (100.0, 100.0)]  # order 0,1,2 crosses itself
    matrix = distance_matrix(depot, stops)
    assert tour_length(matrix, two_opt(matrix, [0, 1, 2])) == pytest.approx(400.0)


def test_empty_and_single_stop():
    assert order_stops((0, 0), []).distance_m == 0
    one = order_stops((0, 0), [(300.0, 400.0)])
    assert (one.order, one.distance_m) == ((0,), pytest.approx(1000.0))
