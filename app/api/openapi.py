"""The OpenAPI 3 document of /api/v1 and its interactive reference page.

The document is assembled from `OPENAPI` fragments that live next to the views they describe
(`app/api/*.py`), and tests/test_openapi.py checks it against the URL map (every /api/v1 route is
documented, nothing documented is missing) and runs schemathesis against it, so it cannot drift.
"""
import importlib
import pkgutil

from flask import current_app, jsonify, render_template

from app.api import bp

ERROR_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["message"],
        "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}}},
}

BASE_COMPONENTS = {
    "schemas": {
        "Errors": ERROR_SCHEMA,
        "GeoJSONGeometry": {"type": "object", "required": ["type"], "properties": {
            "type": {"type": "string"}, "coordinates": {"type": "array"}}},
    },
    "responses": {
        "BadRequest": {"description": "Invalid input; the messages say what to fix.",
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}},
        "NotFound": {"description": "Not found.",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}},
        "Unauthorized": {"description": "Login required.",
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}},
        "Forbidden": {"description": "The logged-in role may not use this operation.",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}},
    },
    "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session",
                                    "description": "Staff/police session cookie from /login."}},
}

OPENAPI = {
    "/city": {"get": {
        "summary": "The configured city", "tags": ["city"], "operationId": "getCity",
        "description": "Name, metric CRS, map centre and zoom, attribution and the boundary as GeoJSON.",
        "responses": {"200": {"description": "The city.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["name", "srid", "center", "zoom", "boundary"],
            "properties": {
                "name": {"type": "string"}, "srid": {"type": "integer"}, "zoom": {"type": "integer"},
                "attribution": {"type": "string"},
                "center": {"type": "object", "required": ["lat", "lon"],
                           "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
                "boundary": {"$ref": "#/components/schemas/GeoJSONGeometry"}}}}}}},
    }},
    "/openapi.json": {"get": {
        "summary": "This document", "tags": ["meta"], "operationId": "getOpenAPI",
        "responses": {"200": {"description": "The OpenAPI 3 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}


def build_document() -> dict:
    """Merge the OPENAPI fragments (paths) and OPENAPI_COMPONENTS of every module in app.api."""
    import app.api as package

    paths: dict = {}
    components = {k: dict(v) for k, v in BASE_COMPONENTS.items()}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"app.api.{info.name}")
        for path, operations in getattr(module, "OPENAPI", {}).items():
            paths.setdefault(path, {}).update(operations)
        for section, entries in getattr(module, "OPENAPI_COMPONENTS", {}).items():
            components.setdefault(section, {}).update(entries)
    city = current_app.extensions["city"].name
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Graffiti & Schäden {city} – API", "version": "1",
                 "description": "Report graffiti and property damage, follow reports, and (for staff and "
                                "police) plan removals and analyse hotspots. Coordinates are WGS84; GeoJSON "
                                "is lon/lat. Errors are `{\"errors\": [{\"field\", \"message\"}]}`. See also "
                                "the Open311 GeoReport v2 endpoint under /open311/v2/ (its own document: "
                                "/open311/v2/openapi.json)."},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this API."""
    return jsonify(build_document())


@bp.route("/docs")
def openapi_reference():
    """Interactive API reference (Swagger UI, served from this host)."""
    return render_template("api/docs.html")
