"""OR-Tools crew days (gis/vrp.py) without a database: deadlines kept where any plan keeps them (checked by
exhaustive search on small days), every job planned or reported, shifts respected."""
import random

import numpy as np
import pytest

from bench.bench_planning import check_plan, make_instance
from bench.planning_baseline import fewest_missed_deadlines, missed_deadlines
from gis import vrp


@pytest.mark.parametrize("seed", range(8))
def test_small_days_miss_no_more_deadlines_than_the_best_plan(seed):
    inst = make_instance(random.Random(seed), 7, n_crews=2, shift_h=2.0)
    sol = vrp.solve(inst.problem, 0.3)
    check_plan(inst, sol.routes, sol.starts_s)
    assert missed_deadlines(inst, sol.routes, sol.starts_s) == fewest_missed_deadlines(inst)
    assert sorted([j for r in sol.routes for j in r] + sol.dropped) == list(range(7))


def test_a_deadline_is_kept_even_when_the_shorter_round_would_miss_it():
    # depot (0, 0); B west, A north, C east, 1 km each; the shortest round visits A second (B, A, C), but A is
    # due 25 minutes after the start; 1 m/s, 5 minutes of work each
    xy = np.array([[0.0, 0.0], [0.0, 1000.0], [-1000.0, 0.0], [1000.0, 0.0]])
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2))
    problem, kinds = vrp.day_problem(d, d, 1, [0], 8 * 3600, [300] * 3, [1500, None, None], [1, 3, 3])
    assert kinds == ["deadline", "later", "later"]
    sol = vrp.solve(problem, 0.3)
    assert sol.routes[0][0] == 0 and sol.starts_s[0][0] <= 1200
    free = vrp.solve(vrp.day_problem(d, d, 1, [0], 8 * 3600, [300] * 3, [None] * 3, [1, 3, 3])[0], 0.3)
    assert free.routes[0][1] == 0  # without the deadline A would come second, 600 m shorter


def test_jobs_that_do_not_fit_are_dropped_and_urgent_ones_win():
    d = np.full((4, 4), 600.0)
    np.fill_diagonal(d, 0)
    # one crew, one hour: only one of three 40-minute jobs fits; the one due today (priority 2) beats the
    # priority 1 job due next week
    problem, kinds = vrp.day_problem(d, d, 1, [0], 3600, [2400] * 3, [3000, 7 * 86400, None], [2, 1, 3])
    sol = vrp.solve(problem, 0.2)
    assert sol.routes == [[0]] and sorted(sol.dropped) == [1, 2]


def test_late_jobs_are_planned_early_not_refused():
    d = np.full((3, 3), 300.0)
    np.fill_diagonal(d, 0)
    problem, kinds = vrp.day_problem(d, d, 1, [0], 8 * 3600, [600, 600], [-3600, 86400 * 5], [3, 3])
    assert kinds == ["late", "later"]
    sol = vrp.solve(problem, 0.2)
    assert sol.routes == [[0, 1]] and not sol.dropped


def test_no_crews_or_no_jobs():
    d = np.zeros((2, 2))
    assert vrp.solve(vrp.day_problem(d, d, 1, [], 3600, [60], [None], [3])[0]).dropped == [0]
    empty = vrp.solve(vrp.day_problem(np.zeros((1, 1)), np.zeros((1, 1)), 1, [0], 3600, [], [], [])[0])
    assert empty.routes == [[]] and not empty.dropped
