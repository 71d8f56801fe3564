"""GET /api/v1/hotspots: DBSCAN clusters, Gi* cells or kernel density as GeoJSON (police only)."""
from flask import jsonify, request

from app.api import bp
from app.auth.roles import role_required
from app.errors import ValidationFailed
from app.services.police import analyses, filters
from app.services.police import exports as ex


def number(args, name, default, lo, hi, errors, integer=False):
    """A bounded number from the query string (default when absent); appends a message when bad."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        errors.append((name, f"'{name}' must be {'an integer' if integer else 'a number'}."))
        return default
    if not (lo <= value <= hi):
        errors.append((name, f"'{name}' must be between {lo} and {hi}."))
        return default
    return value


def flag(args, name, default, errors):
    """A true/false query parameter."""
    raw = (args.get(name) or "").lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    errors.append((name, f"'{name}' must be true or false."))
    return default


def method_options(args, errors: list) -> dict:
    """Method-specific parameters with their defaults and bounds (shared with the police pages)."""
    eps = number(args, "eps", 50.0, 5, 1000, errors)
    opts = {
        "eps": eps,
        "min_points": number(args, "min_points", 10, 2, 100000, errors, integer=True),
        "cell": number(args, "cell", 150.0, 25, 2000, errors),
        "shape": args.get("shape") or "hex",
        "fdr": flag(args, "fdr", True, errors),
        "bandwidth": number(args, "bandwidth", 150.0, 10, 5000, errors),
    }
    if opts["shape"] not in ("hex", "square"):
        errors.append(("shape", "'shape' must be hex or square."))
    return opts


@bp.route("/hotspots")
@role_required("police")
def hotspots():
    """Hotspots of the filtered reports as GeoJSON, with the parameters used echoed back."""
    errors: list = []
    method = request.args.get("method", "")
    if method not in filters.METHODS:
        errors.append(("method", "'method' must be one of dbscan, gistar, kde."))
    opts = method_options(request.args, errors)
    significant_only = flag(request.args, "significant_only", False, errors)
    try:
        f = filters.parse_filters(request.args)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    if method == "dbscan":
        res = analyses.dbscan(f, opts["eps"], opts["min_points"])
        body = ex.feature_collection(ex.cluster_features(res), res.parameters,
                                     summary={"reports": res.reports, "clustered_reports": res.clustered,
                                              "clusters": len(res.clusters)})
    elif method == "gistar":
        res = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"])
        feats = ex.gistar_features(res, significant_only)
        k = res.stats.klass
        body = ex.feature_collection(feats, {**res.parameters, "significant_only": significant_only},
                                     summary={"reports": res.reports, "cells": len(res.grid),
                                              "hot_cells": int((k > 0).sum()), "cold_cells": int((k < 0).sum())})
    else:
        d, params, n = analyses.density(f, opts["bandwidth"])
        body = ex.feature_collection(ex.density_features(d), params,
                                     summary={"reports": n, "peak_density": round(float(d.values.max()), 3)})
    return jsonify(body)


_Q = [
    ("method", {"type": "string", "enum": ["dbscan", "gistar", "kde"]}, "Hotspot method.", True),
    ("from", {"type": "string", "format": "date"}, "First day (YYYY-MM-DD); default: 365 days before 'to'.", False),
    ("to", {"type": "string", "format": "date"}, "Last day (YYYY-MM-DD), inclusive; default: today.", False),
    ("category", {"type": "string"}, "Comma-separated categories (graffiti, sticker, scratching, other).", False),
    ("weekday", {"type": "string"}, "Comma-separated weekdays, 1 = Monday ... 7 = Sunday.", False),
    ("hour", {"type": "string"}, "Comma-separated hours 0-23 or ranges like 20-4 (local time).", False),
    ("district", {"type": "string"}, "District id or name.", False),
    ("tag", {"type": "integer", "minimum": 1}, "Only reports with this tag id.", False),
    ("eps", {"type": "number", "minimum": 5, "maximum": 1000}, "DBSCAN distance in metres (default 50).", False),
    ("min_points", {"type": "integer", "minimum": 2, "maximum": 100000}, "DBSCAN minimum count (default 10).",
     False),
    ("cell", {"type": "number", "minimum": 25, "maximum": 2000}, "Gi* cell size in metres (default 150).", False),
    ("shape", {"type": "string", "enum": ["hex", "square"]}, "Gi* grid shape (default hex).", False),
    ("fdr", {"type": "boolean"}, "Gi*: control the false discovery rate (default true).", False),
    ("significant_only", {"type": "boolean"}, "Gi*: only hot and cold cells (default false).", False),
    ("bandwidth", {"type": "number", "minimum": 10, "maximum": 5000},
     "KDE Gaussian bandwidth in metres (default 150).", False),
]

OPENAPI = {"/hotspots": {"get": {
    "summary": "Hotspots: DBSCAN clusters, Getis-Ord Gi* cells or kernel density (police)",
    "tags": ["police"], "operationId": "getHotspots", "security": [{"session": []}],
    "description": "GeoJSON FeatureCollection in WGS84 with `parameters` (every parameter used, defaults "
                   "included) and `summary`. Computed in the city's metric CRS; rejected and duplicate reports "
                   "are left out. DBSCAN: on the reports' exact positions (the clusters of PostGIS "
                   "ST_ClusterDBSCAN), cluster hulls with reports, first/last date, buildings and the share "
                   "of re-tagged buildings. Gi*: cells with count, z, p and class (-3..3 = cold/hot at "
                   "90/95/99 %, false discovery rate controlled). KDE: cells above 5 % of the peak density "
                   "(reports per km²).",
    "parameters": [{"name": n, "in": "query", "required": req, "schema": s, "description": d}
                   for n, s, d, req in _Q],
    "responses": {
        "200": {"description": "The hotspots.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["type", "parameters", "features"],
            "properties": {"type": {"const": "FeatureCollection"}, "parameters": {"type": "object"},
                           "summary": {"type": "object"},
                           "features": {"type": "array", "items": {
                               "type": "object", "required": ["type", "geometry", "properties"]}}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
    }}}}
