"""A crew's visiting order from the depot over the jobs and back, on distances in metres.

Small days (up to EXACT_LIMIT stops) are solved exactly (Held-Karp dynamic programming); larger ones start
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
    matrix = distance_matrix(depot, stops)
    n = len(stops)
    if n <= exact_limit:
        order = held_karp(matrix)
    else:
        candidates = [or_opt(matrix, two_opt(matrix, start)) for start in (nearest_neighbour(matrix), list(range(n)))]
        order = min(candidates, key=lambda o: tour_length(matrix, o))
    nodes = [0, *(i + 1 for i in order), 0]
    legs = tuple(float(matrix[a, b]) for a, b in pairwise(nodes))
    return Tour(tuple(order), float(math.fsum(legs)), legs)
