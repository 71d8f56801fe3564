"""GET /api/v1/hotspots: DBSCAN clusters, Gi* cells or kernel density as GeoJSON (police only)."""
from flask import jsonify, request

from app.api import bp
from app.auth.roles import role_required
from app.services.police import exports, parameters


@bp.route("/hotspots")
@role_required("police")
def hotspots():
    """Hotspots of the filtered reports as GeoJSON, with the parameters used echoed back."""
    method, f, opts = parameters.hotspot_request(request.args)
    return jsonify(exports.hotspot_collection(method, f, opts))


_Q = [
    ("method", {"type": "string", "enum": ["dbscan", "gistar", "kde", "emerging"]}, "Hotspot method.", True),
    ("from", {"type": "string", "format": "date"}, "First day (YYYY-MM-DD); default: 365 days before 'to'.", False),
    ("to", {"type": "string", "format": "date"}, "Last day (YYYY-MM-DD), inclusive; default: today.", False),
    ("category", {"type": "string"}, "Comma-separated categories (graffiti, sticker, scratching, other).", False),
    ("weekday", {"type": "string"}, "Comma-separated weekdays, 1 = Monday ... 7 = Sunday.", False),
    ("hour", {"type": "string"}, "Comma-separated hours 0-23 or ranges like 20-4 (local time).", False),
    ("time", {"type": "string", "enum": ["reported", "offence"]},
     "What weekday and hour filter: the time reported (default) or the estimated time of offence (aoristic: "
     "at least half of a report's window since the last removal at its place; unknown windows never match).",
     False),
    ("district", {"type": "string"}, "District id or name.", False),
    ("tag", {"type": "integer", "minimum": 1}, "Only reports with this tag id.", False),
    ("eps", {"type": "number", "minimum": 5, "maximum": 1000}, "DBSCAN distance in metres (default 50).", False),
    ("min_points", {"type": "integer", "minimum": 2, "maximum": 100000}, "DBSCAN minimum count (default 10).",
     False),
    ("cell", {"type": "number", "minimum": 25, "maximum": 2000}, "Gi* cell size in metres (default 150).", False),
    ("shape", {"type": "string", "enum": ["hex", "square"]}, "Gi* grid shape (default hex).", False),
    ("fdr", {"type": "boolean"}, "Gi*: control the false discovery rate (default true).", False),
    ("significant_only", {"type": "boolean"}, "Gi*: only hot and cold cells (default false).", False),
    ("inference", {"type": "string", "enum": ["permutation", "normal"]},
     "Gi* p-values: conditional permutation (default, seeded) or the normal approximation.", False),
    ("permutations", {"type": "integer", "minimum": 99, "maximum": 99999},
     "Gi* permutations (default 999; fewer when they do not fit the computing budget, see parameters).", False),
    ("step", {"type": "string", "enum": ["month", "quarter"]}, "Emerging hot spots: time step (default month).",
     False),
    ("emerging_cell", {"type": "number", "minimum": 50, "maximum": 5000},
     "Emerging hot spots: cell size in metres (default 300).", False),
    ("bandwidth", {"type": "number", "minimum": 10, "maximum": 5000},
     "KDE Gaussian bandwidth in metres (default 150).", False),
]

OPENAPI = {"/hotspots": {"get": {
    "summary": "Hotspots: DBSCAN clusters, Getis-Ord Gi* cells or kernel density (police)",
    "tags": ["police"], "operationId": "getHotspots", "security": [{"session": []}],
    "description": "GeoJSON FeatureCollection in WGS84 with `parameters` (every parameter used, defaults "
                   "included) and `summary`. Computed in the city's metric CRS; rejected and duplicate reports "
                   "are left out. DBSCAN: on the reports' exact positions (the clusters of PostGIS "
                   "ST_ClusterDBSCAN), cluster hulls with a name (nearest street or address, district), reports, "
                   "first/last date, buildings and the share of re-tagged buildings. Gi*: cells with count, z, p and class (-3..3 = cold/hot at "
                   "90/95/99 %, false discovery rate controlled, p by conditional permutation); with too few "
                   "reports for a statement (summary.statement false) counts only, class null. Emerging: cells with a pattern of ArcGIS Pro's Emerging Hot Spot Analysis (new, consecutive, "
                   "intensifying, persistent, diminishing, sporadic, oscillating, historical hot or cold spot) from "
                   "Gi* per month or quarter and a Mann-Kendall trend of the z-scores; at least 10 steps. KDE: cells above 5 % of the peak density "
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
