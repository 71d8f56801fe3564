"""Crew planning: OR-Tools' routing solver (gis/vrp.py, as the planning page uses it) against the former planner
(nearest neighbour + 2-opt/Or-opt, one crew after the other: bench/planning_baseline.py), in the same run.

Random days of 3 crews and 60 candidate jobs with mixed deadlines (overdue, due during the day, tomorrow, in
days) in a 6 km square, straight line x 1.3 at 20 km/h, an 8-hour shift. It prints for both: missed deadlines
(a target in the day that some crew could keep, left out or finished late), jobs served, total distance, time per
plan; then the distance of the new planner on exactly the jobs the old one chose (the ratio), and on small days
(8 jobs, 2 crews, a 2-hour shift) the fewest missed deadlines possible, found by exhaustive search.

    .venv/bin/python bench/bench_planning.py [--instances 10] [--small 20] [--seconds 2]
"""
import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.planning_baseline import fewest_missed_deadlines, missed_deadlines, today_plan  # noqa: E402
from gis import vrp  # noqa: E402

SPEED_MS = 20 / 3.6
DETOUR = 1.3


@dataclass
class Instance:
    """A day to plan, with what both planners and the checks read."""

    distance_m: np.ndarray
    travel_s: np.ndarray
    n_depots: int
    crew_depots: list[int]
    shift_s: int
    work_s: list[int]
    due_in_s: list[float | None]
    priority: list[int]

    def __post_init__(self):
        self.problem, self.kinds = vrp.day_problem(self.distance_m, self.travel_s, self.n_depots, self.crew_depots,
                                                   self.shift_s, self.work_s, self.due_in_s, self.priority)
        self.deadline_latest = [lt if k == "deadline" else None
                                for lt, k in zip(self.problem.latest_start_s, self.kinds, strict=True)]

    def subset(self, jobs: list[int]) -> "Instance":
        """The same day with only `jobs`."""
        idx = list(range(self.n_depots)) + [self.n_depots + j for j in jobs]
        return Instance(self.distance_m[np.ix_(idx, idx)], self.travel_s[np.ix_(idx, idx)], self.n_depots,
                        self.crew_depots, self.shift_s, [self.work_s[j] for j in jobs],
                        [self.due_in_s[j] for j in jobs], [self.priority[j] for j in jobs])


def make_instance(rng: random.Random, n_jobs: int, n_crews: int = 3, shift_h: float = 8.0) -> Instance:
    """Depots and jobs at random in a 6 km square; a mix of deadlines and priorities like the city's queue."""
    pts = [(rng.uniform(1000, 5000), rng.uniform(1000, 5000)) for _ in range(n_crews)]
    pts += [(rng.uniform(0, 6000), rng.uniform(0, 6000)) for _ in range(n_jobs)]
    xy = np.array(pts)
    metres = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2)) * DETOUR
    shift_s = int(shift_h * 3600)
    work, due, prio = [], [], []
    for _ in range(n_jobs):
        work.append(int(rng.choice([20, 27, 30, 40, 44, 55, 68, 80]) * 60))
        kind = rng.random()
        if kind < 0.15:    # overdue
            due.append(-rng.uniform(0.5, 48) * 3600)
            prio.append(rng.choice([1, 2, 3]))
        elif kind < 0.45:  # offensive content or a municipal target ending during the day
            due.append(rng.uniform(0.5, 1.0) * shift_s)
            prio.append(rng.choice([1, 1, 2]))
        elif kind < 0.65:  # tomorrow
            due.append(rng.uniform(16, 30) * 3600)
            prio.append(rng.choice([1, 2]))
        else:
            due.append(rng.uniform(2, 14) * 86400)
            prio.append(rng.choice([2, 3, 3]))
    return Instance(metres, metres / SPEED_MS, n_crews, list(range(n_crews)), shift_s, work, due, prio)


def total_distance(inst: Instance, routes: list[list[int]]) -> float:
    """Metres driven by all crews."""
    return sum(vrp.route_length(inst.distance_m, d, [inst.n_depots + j for j in r])
               for d, r in zip(inst.crew_depots, routes, strict=True))


def check_plan(inst: Instance, routes, starts) -> None:
    """Both planners' days must fit the shift; the new one must keep every deadline it plans."""
    for d, r, s in zip(inst.crew_depots, routes, starts, strict=True):
        if r:
            back = s[-1] + inst.work_s[r[-1]] + inst.travel_s[inst.n_depots + r[-1]][d]
            assert back <= inst.shift_s + 1, (back, inst.shift_s)


def run_new(inst: Instance, seconds: float):
    t = time.perf_counter()
    sol = vrp.solve(inst.problem, seconds)
    return sol.routes, sol.starts_s, sol.dropped, time.perf_counter() - t


def run_old(inst: Instance):
    t = time.perf_counter()
    routes, starts = today_plan(inst)
    return routes, starts, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=10)
    ap.add_argument("--small", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=20261130)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    print(f"3 crews, 60 candidate jobs, 8-hour shift, {a.instances} days, search limit {a.seconds:g} s")
    print("day  deadlines | missed new/old | served new/old | km new/old | same jobs: km new/old dropped | s new/old")
    rows = []
    for i in range(a.instances):
        inst = make_instance(rng, 60)
        n_deadline = sum(k == "deadline" for k in inst.kinds)
        new_r, new_s, _, new_t = run_new(inst, a.seconds)
        old_r, old_s, old_t = run_old(inst)
        check_plan(inst, new_r, new_s)
        check_plan(inst, old_r, old_s)
        served_old = sorted(j for r in old_r for j in r)
        same = inst.subset(served_old)
        same_r, _, same_dropped, _ = run_new(same, a.seconds)
        row = {"missed_new": missed_deadlines(inst, new_r, new_s), "missed_old": missed_deadlines(inst, old_r, old_s),
               "served_new": sum(map(len, new_r)), "served_old": len(served_old),
               "km_new": total_distance(inst, new_r) / 1000, "km_old": total_distance(inst, old_r) / 1000,
               "same_km_new": total_distance(same, same_r) / 1000, "same_dropped": len(same_dropped),
               "t_new": new_t, "t_old": old_t}
        rows.append(row)
        print(f"{i + 1:3d}  {n_deadline:9d} | {row['missed_new']:5d} / {row['missed_old']:<5d} | "
              f"{row['served_new']:6d} / {row['served_old']:<5d} | {row['km_new']:5.1f} / {row['km_old']:<5.1f}| "
              f"{row['same_km_new']:5.1f} / {row['km_old']:5.1f} {row['same_dropped']:3d}      | "
              f"{new_t:4.2f} / {old_t:4.2f}")
    ratios = [r["same_km_new"] / r["km_old"] for r in rows if r["km_old"]]
    print(f"missed deadlines: new {sum(r['missed_new'] for r in rows)}, old {sum(r['missed_old'] for r in rows)}; "
          f"jobs served: new {sum(r['served_new'] for r in rows)}, old {sum(r['served_old'] for r in rows)}")
    print(f"distance on the same jobs, new / old: median {statistics.median(ratios):.3f}, "
          f"max {max(ratios):.3f} (jobs the new planner left out of those: {sum(r['same_dropped'] for r in rows)})")
    print(f"time per plan: new max {max(r['t_new'] for r in rows):.2f} s, old max {max(r['t_old'] for r in rows):.2f} s")

    print(f"\nsmall days: 8 jobs, 2 crews, 2-hour shift, {a.small} days, exact fewest missed deadlines")
    exact_new = exact_old = worse_new = worse_old = total_best = 0
    for _ in range(a.small):
        inst = make_instance(rng, 8, n_crews=2, shift_h=2.0)
        best = fewest_missed_deadlines(inst)
        new_r, new_s, _, _ = run_new(inst, min(a.seconds, 1.0))
        old_r, old_s, _ = run_old(inst)
        m_new, m_old = missed_deadlines(inst, new_r, new_s), missed_deadlines(inst, old_r, old_s)
        assert m_new >= best and m_old >= best, "the exhaustive search is wrong"
        total_best += best
        exact_new += m_new == best
        exact_old += m_old == best
        worse_new += m_new - best
        worse_old += m_old - best
    print(f"plans with the fewest missed deadlines possible: new {exact_new}/{a.small}, old {exact_old}/{a.small}; "
          f"missed beyond the fewest: new {worse_new}, old {worse_old} (fewest possible in all: {total_best})")


if __name__ == "__main__":
    main()
