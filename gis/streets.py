"""A routable street network: street distances, travel times and paths between points.

Edges are pieces of streets between junctions in the city's metric CRS; a point joins the network where it is
nearest to an edge (the straight line to there counts too), and shortest paths are scipy.sparse.csgraph's
Dijkstra on the directed graph (one-way streets have one direction only). Every network distance is at
least the straight-line one: each edge is at least as long as the chord between its ends.
"""
from collections import Counter
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString
from shapely.ops import substring

MIN_EDGE_M = 0.01  # csgraph drops zero weights; a zero-length edge still joins its ends


def split_ways(ways):
    """(way index, source node, target node, coordinates) for each piece of the ways between junctions.

    `ways` is a list of (node ids, coordinates); a way is cut at every node another way (or the way itself
    again) passes, so that paths can turn there.
    """
    uses = Counter(n for nodes, _ in ways for n in nodes)
    pieces = []
    for w, (nodes, coords) in enumerate(ways):
        start = 0
        for i in range(1, len(nodes)):
            if i == len(nodes) - 1 or uses[nodes[i]] > 1:
                if i > start:
                    pieces.append((w, nodes[start], nodes[i], coords[start:i + 1]))
                start = i
    return pieces


@dataclass(frozen=True)
class Snap:
    """Where a point joins the network: the edge, the fraction along it and the straight line to there."""

    edge: int
    fraction: float
    offset_m: float


class StreetNetwork:
    """Directed street graph over edges given as metric LineStrings with their end nodes, one-way rule and speed."""

    def __init__(self, lines, sources, targets, oneway, speed_kmh):
        self.lines = np.asarray(lines, dtype=object)
        self.length = np.maximum(shapely.length(self.lines), MIN_EDGE_M)
        self.oneway = np.asarray(oneway, dtype=int)
        self.seconds = self.length / (np.asarray(speed_kmh, dtype=float) / 3.6)
        nodes, index = np.unique(np.concatenate([np.asarray(sources), np.asarray(targets)]), return_inverse=True)
        m = len(self.lines)
        self.src, self.tgt, self.n_nodes = index[:m], index[m:], len(nodes)
        self.tree = shapely.STRtree(self.lines)
        self._graphs = {w: self._graph(self.length if w == "length" else self.seconds) for w in ("length", "time")}

    def __len__(self):
        return len(self.lines)

    def _graph(self, weight):
        fwd, back = self.oneway >= 0, self.oneway <= 0
        rows = np.concatenate([self.src[fwd], self.tgt[back]])
        cols = np.concatenate([self.tgt[fwd], self.src[back]])
        w = np.concatenate([weight[fwd], weight[back]])
        order = np.lexsort((w, cols, rows))  # of parallel edges keep the shortest (csr would add them up)
        rows, cols, w = rows[order], cols[order], w[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        return csr_matrix((w[first], (rows[first], cols[first])), shape=(self.n_nodes, self.n_nodes))

    def snap(self, points) -> list[Snap]:
        """Where each metric point (x, y) joins the network."""
        geoms = shapely.points(np.asarray(points, dtype=float).reshape(-1, 2))
        _, nearest = self.tree.query_nearest(geoms, return_distance=False, all_matches=False)
        snaps = []
        for g, e in zip(geoms, nearest, strict=True):
            line = self.lines[e]
            snaps.append(Snap(int(e), float(line.line_locate_point(g, normalized=True)), float(line.distance(g))))
        return snaps

    def _exits(self, s: Snap, weight):
        """(node, cost) a trip starting at the snap can reach first."""
        e, cost = s.edge, weight[s.edge]
        out = []
        if self.oneway[e] >= 0:
            out.append((self.tgt[e], (1 - s.fraction) * cost))
        if self.oneway[e] <= 0:
            out.append((self.src[e], s.fraction * cost))
        return out

    def _entries(self, s: Snap, weight):
        """(node, cost) from which a trip ends at the snap."""
        e, cost = s.edge, weight[s.edge]
        out = []
        if self.oneway[e] >= 0:
            out.append((self.src[e], s.fraction * cost))
        if self.oneway[e] <= 0:
            out.append((self.tgt[e], (1 - s.fraction) * cost))
        return out

    def _along(self, a: Snap, b: Snap, weight) -> float:
        """Cost from a to b along their common edge without leaving it (inf when they differ or it is one-way)."""
        if a.edge != b.edge:
            return np.inf
        e, d = a.edge, b.fraction - a.fraction
        if (d >= 0 and self.oneway[e] >= 0) or (d <= 0 and self.oneway[e] <= 0):
            return abs(d) * weight[e]
        return np.inf

    def matrix(self, points, weight: str = "length") -> np.ndarray:
        """Metres ("length") or seconds ("time") between every pair of metric points; inf where no path leads.
        The straight lines to and from the network count as driven (at the way's speed for times)."""
        snaps = self.snap(points)
        w = self.length if weight == "length" else self.seconds
        per_m = w / self.length  # cost of a metre on each edge
        starts = sorted({int(node) for s in snaps for node, _ in self._exits(s, w)})
        rows = {node: i for i, node in enumerate(starts)}
        dist = dijkstra(self._graphs[weight], directed=True, indices=starts) if starts else np.zeros((0, 0))
        n = len(snaps)
        out = np.zeros((n, n))
        for i, a in enumerate(snaps):
            exits = self._exits(a, w)
            for j, b in enumerate(snaps):
                if i == j:
                    continue
                best = self._along(a, b, w)
                for node, c1 in exits:
                    for end, c2 in self._entries(b, w):
                        best = min(best, c1 + dist[rows[int(node)], end] + c2)
                access = a.offset_m * per_m[a.edge] + b.offset_m * per_m[b.edge]
                out[i, j] = best + access
        return out

    def path(self, a_xy, b_xy) -> tuple[float, LineString | None]:
        """The shortest street path from a to b (metric points): metres and the line (None when none leads)."""
        a, b = self.snap([a_xy, b_xy])
        w = self.length
        best, route = self._along(a, b, w), None
        exits = self._exits(a, w)
        starts = [int(node) for node, _ in exits]
        dist, pred = dijkstra(self._graphs["length"], directed=True, indices=starts, return_predecessors=True)
        for k, (_node, c1) in enumerate(exits):
            for end, c2 in self._entries(b, w):
                total = c1 + dist[k, end] + c2
                if total < best:
                    best, route = total, (k, int(end))
        if not np.isfinite(best):
            return float("inf"), None
        if route is None:
            coords = self._piece(a.edge, a.fraction, b.fraction)
        else:
            coords = self._route_coords(a, b, route, starts, pred)
        coords = [tuple(a_xy), *coords, tuple(b_xy)]
        return float(best + a.offset_m + b.offset_m), LineString(_dedupe(coords))

    def _piece(self, e: int, f0: float, f1: float) -> list:
        """Coordinates of edge e from fraction f0 to f1 (reversed when f1 < f0)."""
        lo, hi = sorted((f0, f1))
        part = substring(self.lines[e], lo, hi, normalized=True)
        coords = list(part.coords) if not part.is_empty else []
        return coords if f1 >= f0 else coords[::-1]

    def _route_coords(self, a: Snap, b: Snap, route, starts, pred) -> list:
        k, end = route
        nodes = [end]
        while nodes[-1] != starts[k]:
            nodes.append(int(pred[k, nodes[-1]]))
        nodes.reverse()
        first = self._piece(a.edge, a.fraction, 1.0 if self.tgt[a.edge] == nodes[0] else 0.0)
        coords = list(first)
        for u, v in zip(nodes, nodes[1:], strict=False):
            coords += self._edge_between(u, v)
        last_from = 0.0 if self.src[b.edge] == nodes[-1] else 1.0
        return coords + self._piece(b.edge, last_from, b.fraction)

    def _edge_between(self, u: int, v: int) -> list:
        """Coordinates of the shortest usable edge from node u to node v, in driving direction."""
        fwd = np.flatnonzero((self.src == u) & (self.tgt == v) & (self.oneway >= 0))
        back = np.flatnonzero((self.tgt == u) & (self.src == v) & (self.oneway <= 0))
        options = [(self.length[e], e, False) for e in fwd] + [(self.length[e], e, True) for e in back]
        _, e, reverse = min(options)
        coords = list(self.lines[e].coords)
        return coords[::-1] if reverse else coords


def _dedupe(coords):
    out = []
    for c in coords:
        if not out or (abs(out[-1][0] - c[0]) > 1e-9 or abs(out[-1][1] - c[1]) > 1e-9):
            out.append(c)
    if len(out) == 1:
        out.append(out[0])
    return out
