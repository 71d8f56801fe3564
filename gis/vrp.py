"""Crew days for several crews at once: Google OR-Tools' vehicle routing solver with a time dimension.

Nodes 0 .. n_depots-1 are depots, the jobs follow. Each crew starts and ends at its depot within the shift.
A job's deadline is a hard time window (the crew must finish it by then); a job that is already late (or that no
crew can reach in time) instead gets a soft bound at the start of the shift, so it is done early without being
refused. Every job is optional with a drop penalty (a disjunction): the solver serves the jobs whose penalties
outweigh their cost, so a job that does not fit is dropped and reported, never silently lost. The first
solution comes from a deterministic strategy (parallel cheapest insertion); guided local search then improves
it until the time limit. Costs are decimetres of driving (plus the soft bounds' seconds late times a weight).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

COST_PER_METRE = 10  # integer costs: decimetres
PRIORITY_WEIGHT = {1: 4, 2: 2, 3: 1}  # priority 4 (an owner who did not act) counts as 3
# drop penalties in cost units (decimetres): a deadline that can still be kept outweighs the late jobs of a
# day (priority only breaks ties between deadlines), a late job 20 later ones, and any of them any driving
# within a day; among late and among later jobs an offensive one (priority 1) counts as four of priority 3,
# a municipal one (2) as two
PENALTY_DEADLINE, PENALTY_LATE, PENALTY_LATER = 10 ** 12, 10 ** 9, 10 ** 7


@dataclass(frozen=True)
class Problem:
    """What to plan: matrices over depots then jobs, per-job work, windows and penalties, per-crew depots."""

    distance_m: np.ndarray        # (n_depots + n_jobs) square, metres, row = from
    travel_s: np.ndarray          # same shape, seconds
    n_depots: int
    crew_depots: list[int]        # depot node of each crew
    shift_s: int                  # length of every crew's day
    work_s: list[int]             # per job
    latest_start_s: list[int | None]  # per job: start work by then (hard), None: no deadline in the day
    late_weight: list[int]        # per job: cost per second after the shift start (0: none), for late jobs
    drop_penalty: list[int]       # per job: cost of not planning it


@dataclass(frozen=True)
class Solution:
    """Per crew the jobs (0-based job indices) in visiting order with their start times; the dropped jobs."""

    routes: list[list[int]]
    starts_s: list[list[int]]
    dropped: list[int]
    objective: int


def day_problem(distance_m: np.ndarray, travel_s: np.ndarray, n_depots: int, crew_depots: list[int], shift_s: int,
                work_s: list[int], due_in_s: list[float | None], priority: list[int]) -> tuple[Problem, list[str]]:
    """The problem of a crew day and each job's kind: "deadline" (its removal target falls in the day and a crew
    can still keep it: a hard window), "late" (it falls in the day but cannot be kept any more, or has passed:
    as early as possible) or "later" (after the day). `due_in_s`: seconds from the shift start to the target."""
    latest, late, penalty, kinds = [], [], [], []
    for i, (w, due_in, prio) in enumerate(zip(work_s, due_in_s, priority, strict=True)):
        weight = PRIORITY_WEIGHT.get(prio, 1)
        reach = min(travel_s[d][n_depots + i] for d in crew_depots) if crew_depots else 0
        if due_in is not None and due_in <= shift_s and due_in - w >= reach:
            latest.append(int(due_in - w)), late.append(0), kinds.append("deadline")
            penalty.append(PENALTY_DEADLINE + weight * PENALTY_DEADLINE // 100)
        elif due_in is not None and due_in <= shift_s:
            latest.append(None), late.append(weight), kinds.append("late")
            penalty.append(weight * PENALTY_LATE)
        else:
            days_left = 10 if due_in is None else due_in / 86400
            latest.append(None), late.append(0), kinds.append("later")
            penalty.append(weight * PENALTY_LATER + int(max(0.0, 10 - days_left) * PENALTY_LATER / 10))
    return Problem(distance_m, travel_s, n_depots, list(crew_depots), int(shift_s), list(work_s), latest, late,
                   penalty), kinds


def solve(p: Problem, time_limit_s: float = 2.0) -> Solution:
    """Plan every crew's day; jobs that cannot be served in time or do not fit are returned as dropped."""
    n_jobs = len(p.work_s)
    n_nodes = p.n_depots + n_jobs
    if not p.crew_depots:
        return Solution([], [], list(range(n_jobs)), 0)
    if n_jobs == 0:
        return Solution([[] for _ in p.crew_depots], [[] for _ in p.crew_depots], [], 0)
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(p.crew_depots), list(p.crew_depots), list(p.crew_depots))
    routing = pywrapcp.RoutingModel(manager)
    cost = np.rint(np.asarray(p.distance_m, dtype=float) * COST_PER_METRE).astype(np.int64).tolist()
    service = [0] * p.n_depots + [int(w) for w in p.work_s]
    travel = np.rint(np.asarray(p.travel_s, dtype=float)).astype(np.int64).tolist()
    node = manager.IndexToNode

    def arc_cost(i, j):
        return cost[node(i)][node(j)]

    def transit(i, j):
        a = node(i)
        return service[a] + travel[a][node(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.AddDimension(routing.RegisterTransitCallback(transit), 0, int(p.shift_s), True, "time")
    time = routing.GetDimensionOrDie("time")
    for j in range(n_jobs):
        index = manager.NodeToIndex(p.n_depots + j)
        latest = p.latest_start_s[j]
        if latest is not None:
            time.CumulVar(index).SetRange(0, max(0, min(int(latest), int(p.shift_s))))
        if p.late_weight[j]:
            time.SetCumulVarSoftUpperBound(index, 0, int(p.late_weight[j]))
        routing.AddDisjunction([index], int(p.drop_penalty[j]))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:  # cannot happen with every job optional, but never lose jobs silently
        return Solution([[] for _ in p.crew_depots], [[] for _ in p.crew_depots], list(range(n_jobs)), 0)
    routes, starts, served = [], [], set()
    for v in range(len(p.crew_depots)):
        route, times = [], []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            job = node(index) - p.n_depots
            route.append(job)
            times.append(solution.Min(time.CumulVar(index)))
            served.add(job)
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
        starts.append(times)
    return Solution(routes, starts, [j for j in range(n_jobs) if j not in served], solution.ObjectiveValue())


def route_length(distance_m: np.ndarray, depot: int, nodes: list[int]) -> float:
    """Metres from `depot` over `nodes` (matrix indices) and back."""
    path = [depot, *nodes, depot]
    return float(sum(distance_m[a][b] for a, b in zip(path, path[1:], strict=False)))
