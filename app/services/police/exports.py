"""GeoJSON features and CSV rows of clusters, Gi* cells, density cells and incidents (WGS84, lon/lat)."""
from __future__ import annotations

import csv
import io

import numpy as np
import shapely
from flask_babel import gettext as _
from sqlalchemy import text

from app.city import current_city
from app.extensions import db
from app.labels import HOTSPOT_CLASS_CODE, NO_STATEMENT_CODE, TOO_FEW_REPORTS
from app.services.core.spreadsheets import csv_safe
from app.services.core.workdays import city_timezone
from app.services.police import analyses, emerging, filters, points
from gis import gistar as gi
from gis.projection import transformer

MAX_INCIDENTS = 100_000


def _rings_lonlat(rings: np.ndarray) -> np.ndarray:
    """Metric rings (n, k, 2) to WGS84 (n, k, 2), rounded to 7 decimals (about 1 cm)."""
    if len(rings) == 0:
        return rings
    lon, lat = transformer(current_city().srid, 4326).transform(rings[..., 0].ravel(), rings[..., 1].ravel())
    return np.round(np.column_stack((lon, lat)).reshape(rings.shape), 7)


def _polygon_lonlat(geom) -> dict:
    """A metric shapely polygon as a WGS84 GeoJSON geometry."""
    return points.metric_to_wgs84(geom).__geo_interface__


def _date(days) -> str | None:
    return points.day_to_datetime(days).date().isoformat() if days is not None else None


PLACE_METRES = 150.0  # a street or building farther than this from a cluster's centre does not name it


def cluster_places(hulls: list) -> list[dict]:
    """Where each cluster is, for people: the nearest named street and the nearest building address within
    PLACE_METRES of its hull's centre, and the district it lies in (each None when there is none)."""
    if not hulls:
        return []
    centres = [h.centroid for h in hulls]
    rows = db.session.execute(text("""
        WITH c AS (SELECT n, ST_SetSRID(ST_MakePoint(x, y), city_srid()) AS g
                   FROM unnest(CAST(:n AS int[]), CAST(:x AS float8[]), CAST(:y AS float8[])) AS t(n, x, y))
        SELECT c.n,
          (SELECT s.name FROM streets s WHERE s.name IS NOT NULL AND ST_DWithin(s.geom_m, c.g, :near)
            ORDER BY s.geom_m <-> c.g LIMIT 1) AS street,
          (SELECT b.address FROM buildings b WHERE b.address IS NOT NULL AND ST_DWithin(b.footprint_m, c.g, :near)
            ORDER BY b.footprint_m <-> c.g LIMIT 1) AS address,
          (SELECT d.name FROM districts d WHERE ST_Intersects(d.geom_m, c.g) LIMIT 1) AS district
        FROM c ORDER BY c.n"""), {"n": list(range(len(centres))), "x": [p.x for p in centres],
                                  "y": [p.y for p in centres], "near": PLACE_METRES})
    return [{"street": r.street, "address": r.address.split(",")[0].strip() if r.address else None,
             "district": r.district} for r in rows]


def place_name(place: dict, n: int) -> str:
    """A cluster's name: its street (or nearest address) and district, "Cluster n" when nothing is near."""
    here = place.get("street") or (_("bei %(address)s", address=place["address"]) if place.get("address") else None)
    parts = [x for x in (here, place.get("district")) if x]
    return ", ".join(parts) if parts else _("Cluster %(n)s", n=n)


def cluster_features(result: analyses.ClusterResult) -> list[dict]:
    """DBSCAN clusters as polygon features (hull), numbered from 1 by size and named by their street, nearest
    address and district."""
    feats = []
    places = cluster_places([c.hull for c in result.clusters])
    for n, (c, place) in enumerate(zip(result.clusters, places, strict=True), start=1):
        share = c.retagged_share
        feats.append({"type": "Feature", "geometry": _polygon_lonlat(c.hull), "properties": {
            "cluster": n, "name": place_name(place, n), "street": place["street"], "district": place["district"],
            "reports": c.count, "first": _date(c.first), "last": _date(c.last),
            "buildings": c.buildings, "retagged_buildings": c.retagged_buildings,
            "retagged_share": round(share, 4) if share is not None else None, "area_m2": round(c.hull.area, 1)}})
    return feats


def gistar_features(result: analyses.GiResult, significant_only: bool = False) -> list[dict]:
    """Gi* grid cells as polygon features with count, z-score, p-value and class; with too few reports for a
    statement, the cells with reports and their counts only (z, p and class null, class_label too_few_reports)."""
    grid, st = result.grid, result.stats
    if not result.sufficient:
        idx = np.flatnonzero(result.counts > 0) if significant_only else np.arange(len(grid))
        return [{**feat, "properties": {"cell": feat["properties"]["cell"], "reports": feat["properties"]["reports"],
                                        "gi": None, "z": None, "p": None, "class": None,
                                        "class_label": NO_STATEMENT_CODE}}
                for feat in _cell_features(result, idx)]
    idx = np.flatnonzero(st.klass != 0) if significant_only else np.arange(len(grid))
    return _cell_features(result, idx)


def _cell_features(result: analyses.GiResult, idx: np.ndarray) -> list[dict]:
    """The grid cells `idx` as polygon features with count, Gi, z, p and class."""
    grid, st = result.grid, result.stats
    rings = _rings_lonlat(_ring_coords(grid, idx)).tolist()
    keys = grid.keys[idx].tolist()
    counts = result.counts[idx].astype(int).tolist()
    g = np.round(st.g[idx], 8).tolist()
    z = np.round(st.z[idx], 6).tolist()
    p = st.p[idx].tolist()
    klass = st.klass[idx].tolist()
    return [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[k]]},
             "properties": {"cell": f"{keys[k][0]}_{keys[k][1]}_{keys[k][2]}", "reports": counts[k], "gi": g[k],
                            "z": z[k], "p": p[k], "class": klass[k], "class_label": HOTSPOT_CLASS_CODE[klass[k]]}}
            for k in range(len(idx))]


def _ring_coords(grid: gi.Grid, idx: np.ndarray) -> np.ndarray:
    """Closed metric rings (n, k, 2) of the given grid cells."""
    polys = gi.cell_polygons(grid.centres[idx], grid.size, grid.shape)
    coords = shapely.get_coordinates(polys)
    return coords.reshape(len(idx), -1, 2) if len(idx) else np.empty((0, 5, 2))


def density_features(d, min_share: float = 0.05) -> list[dict]:
    """Density raster cells above `min_share` of the peak as square polygon features."""
    x, y, v = d.cells(min_share)
    h = d.resolution / 2
    offsets = np.array([(-h, -h), (h, -h), (h, h), (-h, h), (-h, -h)])
    rings = _rings_lonlat(np.column_stack((x, y))[:, None, :] + offsets[None]) if len(x) else []
    return [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
             "properties": {"density": round(float(v[k]), 3)}} for k in range(len(x))]


def incident_rows(f: filters.Filters, limit: int = MAX_INCIDENTS) -> list[dict]:
    """The filtered incidents with what police need (no reporter contact), newest first."""
    where, params = filters.where_clause(f)
    params["limit"] = limit
    rows = db.session.execute(text(f"""
        SELECT r.id, r.created_at, r.category, r.status, r.offensive, r.retagged, r.address, r.description,
               ST_X(r.location) AS lon, ST_Y(r.location) AS lat, r.building_id, d.name AS district,
               (SELECT string_agg(t.display_name, ', ' ORDER BY t.display_name)
                  FROM report_tags rt JOIN tags t ON t.id = rt.tag_id WHERE rt.report_id = r.id) AS tags,
               (SELECT coalesce(sum(m.cost_eur), 0) FROM removals m WHERE m.report_id = r.id) AS removal_cost_eur
        FROM reports r LEFT JOIN districts d ON d.id = r.district_id
        WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT :limit"""), params).mappings().all()
    tz = city_timezone()
    out = []
    for r in rows:
        item = dict(r)
        item["created_at"] = r["created_at"].astimezone(tz).isoformat(timespec="seconds")
        item["removal_cost_eur"] = float(r["removal_cost_eur"])
        out.append(item)
    return out


INCIDENT_FIELDS = ["id", "created_at", "category", "status", "offensive", "retagged", "district", "address",
                   "building_id", "tags", "removal_cost_eur", "description", "lon", "lat"]


def incident_features(rows: list[dict]) -> list[dict]:
    """Incidents as point features."""
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(r["lon"], 7), round(r["lat"], 7)]},
             "properties": {k: r[k] for k in INCIDENT_FIELDS if k not in ("lon", "lat")}} for r in rows]


def feature_collection(features: list[dict], parameters: dict, **extra) -> dict:
    """A GeoJSON FeatureCollection with the parameters used echoed back."""
    return {"type": "FeatureCollection", "parameters": parameters, **extra, "features": features}


def to_csv(features: list[dict], fields: list[str], with_centroid: bool = True) -> str:
    """CSV of the features' properties `fields` (plus lon/lat of the geometry's centre); the header line also when
    there are no features."""
    buf = io.StringIO()
    fields = list(fields)
    if with_centroid:
        fields += ["lon", "lat"]
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for feat in features:
        row = {k: csv_safe(v) for k, v in feat["properties"].items()}
        if with_centroid:
            lon, lat = _centre(feat["geometry"])
            row["lon"], row["lat"] = round(lon, 7), round(lat, 7)
        writer.writerow(row)
    return buf.getvalue()


def _centre(geometry: dict) -> tuple[float, float]:
    from shapely.geometry import shape

    c = shape(geometry).centroid
    return c.x, c.y


def hotspot_collection(method: str, f: filters.Filters, opts: dict) -> dict:
    """GET /api/v1/hotspots: the hotspots of a method as a FeatureCollection with its parameters and a summary."""
    if method == "dbscan":
        res = analyses.dbscan(f, opts["eps"], opts["min_points"])
        return feature_collection(cluster_features(res), res.parameters,
                                  summary={"reports": res.reports, "clustered_reports": res.clustered,
                                           "clusters": len(res.clusters)})
    if method == "gistar":
        res = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"], permutations=opts["permutations"])
        return feature_collection(gistar_features(res, opts["significant_only"]),
                                  {**res.parameters, "significant_only": opts["significant_only"]},
                                  summary=gistar_summary(res))
    if method == "emerging":
        res = _emerging(f, opts)
        return feature_collection(emerging_features(res), res.parameters, summary=emerging_summary(res))
    d, params, n = analyses.density(f, opts["bandwidth"])
    return feature_collection(density_features(d), params,
                              summary={"reports": n, "peak_density": round(float(d.values.max()), 3)})


def gistar_summary(res: analyses.GiResult) -> dict:
    """Counts of hot and cold cells, or (too few reports) no classes and the reason in words."""
    k = res.stats.klass
    out = {"reports": res.reports, "cells": len(res.grid), "statement": res.sufficient}
    if res.sufficient:
        return {**out, "hot_cells": int((k > 0).sum()), "cold_cells": int((k < 0).sum())}
    return {**out, "hot_cells": None, "cold_cells": None, "message": str(TOO_FEW_REPORTS)}


EXPORT_KINDS = ("clusters", "gistar", "emerging", "incidents")
# The properties of each export's features, in order: the CSV columns (before lon, lat), also of an empty export.
EXPORT_FIELDS = {
    "clusters": ["cluster", "name", "street", "district", "reports", "first", "last", "buildings",
                 "retagged_buildings", "retagged_share", "area_m2"],
    "gistar": ["cell", "reports", "gi", "z", "p", "class", "class_label"],
    "emerging": ["cell", "reports", "pattern", "hot_steps", "cold_steps", "trend_tau", "trend_z", "trend_p"],
    "incidents": [k for k in INCIDENT_FIELDS if k not in ("lon", "lat")],
}


def emerging_features(res: emerging.EmergingResult) -> list[dict]:
    """Cells with an emerging hot spot pattern (with too few reports: the cells with reports, pattern
    too_few_reports): reports, pattern code, hot and cold steps, the Mann-Kendall trend of the z-scores."""
    idx = emerging.pattern_cells(res)
    rings = _rings_lonlat(_ring_coords(res.grid, idx)).tolist()
    keys = res.grid.keys[idx].tolist()
    out = []
    for k, i in enumerate(idx.tolist()):
        t = res.trend
        out.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[k]]}, "properties": {
            "cell": f"{keys[k][0]}_{keys[k][1]}_{keys[k][2]}", "reports": int(res.counts[i]),
            "pattern": str(res.patterns[i]), "hot_steps": int(res.hot_steps[i]), "cold_steps": int(res.cold_steps[i]),
            "trend_tau": round(float(t.tau[i]), 4) if t else None, "trend_z": round(float(t.z[i]), 4) if t else None,
            "trend_p": float(t.p[i]) if t else None}})
    return out


def emerging_summary(res: emerging.EmergingResult) -> dict:
    """Reports, steps and how many cells show each pattern; or, with too few reports, the reason in words."""
    out = {"reports": int(res.counts.sum()), "steps": res.steps, "statement": res.sufficient}
    if not res.sufficient:
        return {**out, "patterns": None, "message": str(TOO_FEW_REPORTS)}
    codes, n = np.unique(res.patterns[emerging.pattern_cells(res)].astype(str), return_counts=True)
    return {**out, "patterns": dict(zip(codes.tolist(), n.tolist(), strict=True))}


def _emerging(f: filters.Filters, opts: dict) -> emerging.EmergingResult:
    return emerging.emerging(f, opts["emerging_cell"], opts["shape"], opts["step"], opts["fdr"], opts["permutations"])


def export_features(kind: str, f: filters.Filters, opts: dict) -> tuple[list[dict], dict]:
    """The features of a police export (one of EXPORT_KINDS) and the parameters they were computed with."""
    if kind == "clusters":
        res = analyses.dbscan(f, opts["eps"], opts["min_points"])
        return cluster_features(res), res.parameters
    if kind == "gistar":
        res = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"], permutations=opts["permutations"])
        return gistar_features(res), res.parameters
    if kind == "emerging":
        res = _emerging(f, opts)
        return emerging_features(res), res.parameters
    return incident_features(incident_rows(f)), {"method": "incidents", **f.echo()}
