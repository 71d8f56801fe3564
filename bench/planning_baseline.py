"""The crew planner before OR-Tools (formerly gis/routing.py and planning.propose), kept as the benchmark's
baseline, and an exact check of missed deadlines on small days.

A crew's visiting order from the depot over the jobs and back, on distances in metres: small days (up to EXACT_LIMIT stops) are solved exactly (Held-Karp dynamic programming); larger ones start
from nearest neighbour and from the given order, improve both with 2-opt and Or-opt moves and keep the
shorter, so the result is never longer than the order the stops came in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

EXACT_LIMIT = 10


@dataclass(frozen=True)
class Tour:
    """A visiting order (indices into the stops) and the length of depot -> stops -> depot in metres."""

    order: tuple[int, ...]
    distance_m: float
    legs_m: tuple[float, ...]  # leg i ends at the i-th stop; the last leg returns to the depot


def distance_matrix(depot: tuple[float, float], stops: list[tuple[float, float]]) -> np.ndarray:
    """Straight-line distances in metres between depot (index 0) and stops (1..n), metric x/y input."""
    pts = np.array([depot, *stops], dtype=float).reshape(-1, 2)
    diff = pts[:, None, :] - pts[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=2))


def tour_length(matrix: np.ndarray, order) -> float:
    """Length of depot -> stops in `order` (0-based stop indices) -> depot."""
    nodes = [0, *(i + 1 for i in order), 0]
    return float(sum(matrix[a, b] for a, b in pairwise(nodes)))


def nearest_neighbour(matrix: np.ndarray) -> list[int]:
    """Greedy order: always drive to the closest stop not yet visited."""
    n = matrix.shape[0] - 1
    left = set(range(1, n + 1))
    here, order = 0, []
    while left:
        nxt = min(left, key=lambda j: (matrix[here, j], j))
        order.append(nxt - 1)
        left.remove(nxt)
        here = nxt
    return order


def two_opt(matrix: np.ndarray, order: list[int]) -> list[int]:
    """Reverse segments while that shortens the closed tour (the depot stays first and last)."""
    route = [0, *(i + 1 for i in order), 0]
    improved = True
    while improved:
        improved = False
        for i in range(1, len(route) - 2):
            for k in range(i + 1, len(route) - 1):
                a, b, c, d = route[i - 1], route[i], route[k], route[k + 1]
                if matrix[a, c] + matrix[b, d] < matrix[a, b] + matrix[c, d] - 1e-9:
                    route[i:k + 1] = reversed(route[i:k + 1])
                    improved = True
    return [j - 1 for j in route[1:-1]]


def or_opt(matrix: np.ndarray, order: list[int]) -> list[int]:
    """Move runs of one to three stops to a better place while that shortens the tour."""
    best = list(order)
    best_len = tour_length(matrix, best)
    improved = True
    while improved:
        improved = False
        for size in (1, 2, 3):
            for i in range(len(best) - size + 1):
                run, rest = best[i:i + size], best[:i] + best[i + size:]
                for j in range(len(rest) + 1):
                    if j == i:
                        continue
                    for seg in (run, run[::-1]):
                        cand = rest[:j] + seg + rest[j:]
                        length = tour_length(matrix, cand)
                        if length < best_len - 1e-9:
                            best, best_len, improved = cand, length, True
                            break
                    if improved:
                        break
                if improved:
                    break
            if improved:
                break
    return best


def held_karp(matrix: np.ndarray) -> list[int]:
    """The exact shortest closed tour from the depot (O(2^n n^2); only for small n)."""
    n = matrix.shape[0] - 1
    if n == 0:
        return []
    m = matrix.tolist()
    size = 1 << n
    # best[mask][j]: shortest path from the depot over the stops in mask, ending at stop j (0-based).
    best = [[math.inf] * n for _ in range(size)]
    parent = [[-1] * n for _ in range(size)]
    for j in range(n):
        best[1 << j][j] = m[0][j + 1]
    for mask in range(1, size):  # every extension has a larger mask, so increasing order is safe
        row = best[mask]
        for j in range(n):
            c = row[j]
            if c == math.inf:
                continue
            for k in range(n):
                if mask >> k & 1:
                    continue
                nxt = mask | 1 << k
                value = c + m[j + 1][k + 1]
                if value < best[nxt][k]:
                    best[nxt][k] = value
                    parent[nxt][k] = j
    full = size - 1
    last = min(range(n), key=lambda j: best[full][j] + m[j + 1][0])
    order, mask, j = [], full, last
    while j != -1:
        order.append(j)
        mask, j = mask ^ 1 << j, parent[mask][j]
    return order[::-1]


def order_stops(depot: tuple[float, float], stops: list[tuple[float, float]],
                exact_limit: int = EXACT_LIMIT) -> Tour:
    """A short visiting order from `depot` over `stops` and back (metric x/y coordinates)."""
    return order_matrix(distance_matrix(depot, stops), exact_limit)


def order_matrix(matrix: np.ndarray, exact_limit: int = EXACT_LIMIT) -> Tour:
    """The same on a matrix whose row/column 0 is the depot."""
    n = matrix.shape[0] - 1
    if n <= exact_limit:
        order = held_karp(matrix)
    else:
        candidates = [or_opt(matrix, two_opt(matrix, start)) for start in (nearest_neighbour(matrix), list(range(n)))]
        order = min(candidates, key=lambda o: tour_length(matrix, o))
    nodes = [0, *(i + 1 for i in order), 0]
    legs = tuple(float(matrix[a, b]) for a, b in pairwise(nodes))
    return Tour(tuple(order), float(math.fsum(legs)), legs)


def _sub(matrix: np.ndarray, depot: int, jobs: list[int], n_depots: int) -> np.ndarray:
    idx = [depot, *(n_depots + j for j in jobs)]
    return np.asarray(matrix)[np.ix_(idx, idx)]


def today_plan(p) -> tuple[list[list[int]], list[list[int]]]:
    """What the former planner gave for several crews, one crew after the other (the page planned one crew at
    a time): jobs in order of urgency (priority, then due time) are kept when the crew's day (ordered by
    nearest neighbour + 2-opt + Or-opt, exact up to 8 stops) still fits the shift; 15 misses in a row end a
    crew's day. Deadlines play no part beyond the ranking. Returns routes and start times (seconds) per crew."""
    n = len(p.work_s)
    rank = sorted(range(n), key=lambda j: (p.priority[j], p.due_in_s[j] if p.due_in_s[j] is not None else 1e12, j))
    taken: set[int] = set()
    routes, starts = [], []
    for depot in p.crew_depots:
        chosen: list[int] = []
        misses = 0
        for j in rank:
            if j in taken or p.work_s[j] > p.shift_s or len(chosen) >= 40:
                continue
            trial = chosen + [j]
            order = order_matrix(_sub(p.distance_m, depot, trial, p.n_depots), 8).order
            if route_seconds(p, depot, [trial[i] for i in order]) <= p.shift_s:
                chosen.append(j)
                misses = 0
            else:
                misses += 1
                if misses >= 15:
                    break
        order = order_matrix(_sub(p.distance_m, depot, chosen, p.n_depots)).order
        route = [chosen[i] for i in order]
        taken.update(route)
        routes.append(route)
        starts.append(start_times(p, depot, route))
    return routes, starts


def start_times(p, depot: int, route: list[int]) -> list[int]:
    """When the crew starts work at each job of `route` (seconds from the shift start)."""
    t, here, out = 0.0, depot, []
    for j in route:
        t += p.travel_s[here][p.n_depots + j]
        out.append(int(round(t)))
        t += p.work_s[j]
        here = p.n_depots + j
    return out


def route_seconds(p, depot: int, route: list[int]) -> float:
    """The crew's whole day: driving and work from the depot over `route` and back."""
    if not route:
        return 0.0
    last = p.n_depots + route[-1]
    return start_times(p, depot, route)[-1] + p.work_s[route[-1]] + p.travel_s[last][depot]


def missed_deadlines(p, routes: list[list[int]], starts: list[list[int]]) -> int:
    """Jobs whose removal target falls in the day and could be kept by some crew (kind "deadline"), but which
    the plan leaves out or finishes late."""
    done = {j: s for route, ss in zip(routes, starts, strict=True) for j, s in zip(route, ss, strict=True)}
    return sum(1 for j, latest in enumerate(p.deadline_latest) if latest is not None
               and (j not in done or done[j] > latest))


def fewest_missed_deadlines(p) -> int:
    """The fewest missed deadlines any plan of the day can have, by exhaustive search (small days only): for each
    crew every set of jobs it can serve in some order keeping every deadline in it and the shift (dynamic
    programming over subsets, earliest finish per last job), then every way to give the crews disjoint sets."""
    n = len(p.work_s)
    full = 1 << n
    deadline_mask = sum(1 << j for j, latest in enumerate(p.deadline_latest) if latest is not None)
    feasible_by_depot = {}
    for depot in set(p.crew_depots):
        finish = [[np.inf] * n for _ in range(full)]
        for j in range(n):
            arrive = p.travel_s[depot][p.n_depots + j]
            if _on_time(p, j, arrive):
                finish[1 << j][j] = arrive + p.work_s[j]
        for mask in range(1, full):
            for j in range(n):
                t = finish[mask][j]
                if t == np.inf:
                    continue
                for k in range(n):
                    if mask >> k & 1:
                        continue
                    arrive = t + p.travel_s[p.n_depots + j][p.n_depots + k]
                    if _on_time(p, k, arrive) and arrive + p.work_s[k] < finish[mask | 1 << k][k]:
                        finish[mask | 1 << k][k] = arrive + p.work_s[k]
        ok = {0}
        for mask in range(1, full):
            if any(finish[mask][j] + p.travel_s[p.n_depots + j][depot] <= p.shift_s for j in range(n)):
                ok.add(mask)
        feasible_by_depot[depot] = ok
    reach = {0}
    for depot in p.crew_depots:
        reach = {a | b for a in reach for b in feasible_by_depot[depot] if not a & b}
    best = max(bin(m & deadline_mask).count("1") for m in reach)
    return bin(deadline_mask).count("1") - best


def _on_time(p, j: int, arrive: float) -> bool:
    latest = p.deadline_latest[j]
    return arrive <= p.shift_s and (latest is None or arrive <= latest)
