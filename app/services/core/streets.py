"""Street distances, travel times and paths for crew planning, on the network `flask import-osm` loaded.

    distance_matrix(points_wgs84) -> metres between every pair of (lat, lon) points, or None without a network
    travel_time_matrix(points_wgs84) -> seconds at the streets' speeds, or None without a network
    path(a, b) -> the street path from a to b as WGS84 (lat, lon) points with its length, or None

Pairs the network does not connect (a dead-end one-way street, an island of streets) get the straight line
times ROUTE_DETOUR, as planning does without a network. The network is read once per process and read again
when its edges change.
"""
import logging
from dataclasses import dataclass
from threading import Lock

import numpy as np
import shapely
from flask import current_app
from sqlalchemy import func, select

from app.city import current_city
from app.extensions import db
from app.models_osm import Street, StreetEdge
from gis.projection import transformer
from gis.streets import StreetNetwork

log = logging.getLogger(__name__)
_cache: dict = {}
_lock = Lock()


@dataclass(frozen=True)
class StreetPath:
    """A path along the streets: its length and its points as (lat, lon)."""

    distance_m: float
    points: list[tuple[float, float]]


def _version():
    """What identifies the loaded edges: the database, the CRS, their count and newest id."""
    count, newest = db.session.execute(select(func.count(), func.coalesce(func.max(StreetEdge.id), 0))).one()
    return str(db.engine.url), current_city().srid, count, newest


def network() -> StreetNetwork | None:
    """The city's street network (None when no routable streets are loaded)."""
    key = _version()
    if key[2] == 0:
        return None
    with _lock:
        if _cache.get("key") != key:
            rows = db.session.execute(
                select(func.ST_AsBinary(StreetEdge.geom_m), StreetEdge.source, StreetEdge.target, Street.oneway,
                       Street.speed_kmh).join(Street, Street.id == StreetEdge.street_id).order_by(StreetEdge.id)).all()
            lines = shapely.from_wkb([bytes(r[0]) for r in rows])
            _cache.update(key=key, net=StreetNetwork(lines, [r[1] for r in rows], [r[2] for r in rows],
                                                     [r[3] for r in rows], [r[4] for r in rows]))
            log.info("street network loaded: %d edges", len(rows))
        return _cache["net"]


def _metric(points_wgs84) -> np.ndarray:
    pts = np.asarray(points_wgs84, dtype=float).reshape(-1, 2)
    x, y = transformer(4326, current_city().srid).transform(pts[:, 1], pts[:, 0])
    return np.column_stack([x, y])


def _fill_unreachable(matrix: np.ndarray, xy: np.ndarray, per_metre: float) -> np.ndarray:
    bad = ~np.isfinite(matrix)
    if bad.any():
        straight = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        matrix = np.where(bad, straight * float(current_app.config["ROUTE_DETOUR"]) * per_metre, matrix)
        log.warning("%d point pairs not connected by the street network: straight line used", int(bad.sum()))
    return matrix


def distance_matrix(points_wgs84) -> np.ndarray | None:
    """Street distances in metres from each (lat, lon) point to each other (row: from, column: to)."""
    net = network()
    if net is None:
        return None
    xy = _metric(points_wgs84)
    return _fill_unreachable(net.matrix(xy, "length"), xy, 1.0)


def travel_time_matrix(points_wgs84) -> np.ndarray | None:
    """Driving times in seconds at each street's speed, from each (lat, lon) point to each other."""
    net = network()
    if net is None:
        return None
    xy = _metric(points_wgs84)
    return _fill_unreachable(net.matrix(xy, "time"), xy, 3.6 / float(current_app.config["CREW_SPEED_KMH"]))


def path(a, b) -> StreetPath | None:
    """The shortest street path from (lat, lon) `a` to `b`; None without a network or when none leads there."""
    net = network()
    if net is None:
        return None
    xy = _metric([a, b])
    length, line = net.path(xy[0], xy[1])
    if line is None:
        return None
    coords = np.asarray(line.coords)
    lon, lat = transformer(current_city().srid, 4326).transform(coords[:, 0], coords[:, 1])
    return StreetPath(length, [(float(la), float(lo)) for la, lo in zip(lat, lon, strict=True)])
