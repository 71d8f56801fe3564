"""OpenAPI fragments for the citizen report API and the staff API (merged by app/api/openapi.py)."""

_JSON_ERR = {"$ref": "#/components/responses/BadRequest"}
_NUM = {"type": "number"}
_DT = {"type": "string", "format": "date-time"}
_STATUS = {"type": "string", "enum": ["new", "verified", "scheduled", "removed", "closed", "rejected", "duplicate",
                                      "notify_owner"]}
_CATEGORY = {"type": "string", "enum": ["graffiti", "sticker", "scratching", "other"]}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_TOO_MANY = {**_json({"$ref": "#/components/schemas/Errors"}, "Too many reports from this client's network "
                     "(REPORT_RATE_LIMIT); nothing stored."),
             "headers": {"Retry-After": {"description": "Seconds until the next one is accepted.",
                                         "schema": {"type": "integer"}}}}


def _query(name, schema, description, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_LATLON = [
    _query("lat", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude (WGS84).", True),
    _query("lon", {"type": "number", "minimum": -180, "maximum": 180}, "Longitude (WGS84).", True),
]
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64},
          "description": "The unguessable token from the 201 answer."}
_BBOX = _query("bbox", {"type": "string", "pattern": r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$"},
               "minlon,minlat,maxlon,maxlat (WGS84).", True)
_STAFF = {"security": [{"session": []}]}
_STAFF_ERRORS = {"400": _JSON_ERR, "401": {"$ref": "#/components/responses/Unauthorized"},
                 "403": {"$ref": "#/components/responses/Forbidden"}}

OPENAPI_COMPONENTS = {"schemas": {
    "ReportCreated": {"type": "object", "required": ["id", "public_id", "token", "status", "building",
                                                     "duplicate_of"],
                      "properties": {
                          "id": {"type": "integer"}, "token": {"type": "string"}, "status": _STATUS,
                          "public_id": {"type": "string", "pattern": "^[0-9a-f]{16}$",
                                        "description": "The random number the public map and Open311 show."},
                          "building": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["id"],
                                                                     "properties": {
                                                                         "id": {"type": "integer"},
                                                                         "address": {"type": ["string", "null"]},
                                                                         "owner_type": {"type": ["string",
                                                                                                 "null"]}}}]},
                          "duplicate_of": {"type": ["integer", "null"]},
                          "status_url": {"type": "string"}}},
    "PublicStatus": {"type": "object", "required": ["token", "status", "category", "history"],
                     "not": {"anyOf": [{"required": ["email"]}, {"required": ["reporter_email"]},
                                       {"required": ["description"]}]},
                     "properties": {
                         "token": {"type": "string"}, "status": _STATUS, "category": _CATEGORY,
                         "created_at": _DT, "updated_at": _DT,
                         "history": {"type": "array", "items": {"type": "object", "required": ["status", "at"],
                                                                 "properties": {"status": _STATUS, "at": _DT,
                                                                                "message": {"type": ["string",
                                                                                                     "null"]}}}},
                         "photos": {"type": "array"}, "confirmations": {"type": "integer"},
                         "after_photos": {"type": "array", "items": {
                             "type": "object", "required": ["url", "thumb_url", "removed_on"],
                             "properties": {"url": {"type": "string"}, "thumb_url": {"type": "string"},
                                            "removed_on": {"type": "string", "format": "date"}}}}}},
    "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"type": "object", "required": ["type", "geometry", "properties"],
                                                "properties": {"type": {"const": "Feature"}}}}}},
}}

OPENAPI = {
    "/reports": {
        "post": {
            "summary": "Submit a report", "tags": ["reports"], "operationId": "createReport",
            "description": "No account needed. Photos are decoded, stripped of all metadata and re-encoded. "
                           "The same `Idempotency-Key` sent again returns the first answer and stores nothing.",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 200}}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["lat", "lon", "category"],
                "properties": {
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    "category": _CATEGORY, "description": {"type": "string", "maxLength": 2000},
                    "offensive": {"type": "boolean"}, "email": {"type": "string", "format": "email"},
                    "photos": {"type": "array", "maxItems": 5, "items": {"type": "string", "format": "binary"}},
                }}}}},
            "responses": {"201": {**_json({"$ref": "#/components/schemas/ReportCreated"}, "Stored."), "links": {
                "GetReportStatus": {"operationId": "reportStatus", "parameters": {"token": "$response.body#/token"},
                                    "description": "The report's public status, by the token of this answer."},
                "ConfirmReport": {"operationId": "confirmReport", "parameters": {"token": "$response.body#/token"},
                                  "description": "\"I see it too\" for this report."}}},
                          "400": _JSON_ERR,
                          "422": _json({"$ref": "#/components/schemas/Errors"}, "Idempotency-Key reused "
                                       "with a different request."),
                          "413": _json({"$ref": "#/components/schemas/Errors"}, "Body or photo too large."),
                          "429": _TOO_MANY},
        },
        "get": {
            "summary": "Reports in a bounding box (public map)", "tags": ["reports"],
            "operationId": "listReports", "parameters": [_BBOX],
            "description": "Approximate positions, category, status and date only; no personal data, no text.",
            "responses": {"200": {"description": "GeoJSON.", "content": {"application/geo+json": {
                "schema": {"$ref": "#/components/schemas/FeatureCollection"}}}}, "400": _JSON_ERR},
        },
    },
    "/reports/nearby": {"get": {
        "summary": "Open reports within 50 m", "tags": ["reports"], "operationId": "nearbyReports",
        "description": "Positions on the public map's 25 m grid, distances rounded to 5 m, a confirmation "
                       "handle instead of the reporter's status token.",
        "parameters": _LATLON,
        "responses": {"200": _json({"type": "object", "required": ["reports", "radius_m"], "properties": {
            "radius_m": _NUM, "reports": {"type": "array", "items": {
                "type": "object", "required": ["handle", "status", "distance_m"],
                "properties": {"handle": {"type": "string", "description": "Opaque and valid for a day: "
                                          "POST it to /reports/{handle}/confirm (it opens nothing else)."},
                               "status": _STATUS, "category": _CATEGORY,
                               "distance_m": {"type": "integer", "description": "Rounded to 5 m."}, "confirmations": {"type": "integer"}, "lat": _NUM, "lon": _NUM,
                               "direction": {"enum": ["n", "ne", "e", "se", "s", "sw", "w", "nw", None],
                                             "description": "Compass point from the given position (none "
                                                            "at the same spot)."}}}}}}),
            "400": _JSON_ERR},
    }},
    "/reports/{token}": {"get": {
        "summary": "Public status and history of a report", "tags": ["reports"], "operationId": "reportStatus",
        "parameters": [_TOKEN],
        "responses": {"200": _json({"$ref": "#/components/schemas/PublicStatus"}),
                      "404": {"$ref": "#/components/responses/NotFound"}},
    }},
    "/reports/{token}/confirm": {"post": {
        "summary": "\"I see it too\"", "tags": ["reports"], "operationId": "confirmReport",
        "description": "`{token}` is the report's status token or a confirmation handle from /reports/nearby; "
                       "the answer repeats what was sent (`token` or `handle`).",
        "parameters": [{**_TOKEN, "schema": {"type": "string", "maxLength": 200},
                        "description": "The status token, or a confirmation handle from /reports/nearby."},
                       {"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 200}}],
        "responses": {"200": _json({"type": "object", "required": ["status", "confirmations"],
                                    "properties": {"token": {"type": "string"}, "handle": {"type": "string"},
                                                   "status": _STATUS,
                                                   "confirmations": {"type": "integer"}}}),
                      "400": _JSON_ERR, "404": {"$ref": "#/components/responses/NotFound"},
                      "409": _json({"$ref": "#/components/schemas/Errors"}, "The report is already closed."),
                      "429": _TOO_MANY},
    }},
    "/addresses": {"get": {
        "summary": "Address search for placing the pin", "tags": ["reports"], "operationId": "searchAddresses",
        "description": "Places, streets and buildings (at most 8), each once per district; names that start "
                       "with the text first.",
        "parameters": [_query("q", {"type": "string"}, "At least 3 characters of a place, street, address or "
                                                        "building name.")],
        "responses": {"200": _json({"type": "object", "required": ["results"], "properties": {
            "results": {"type": "array", "items": {"type": "object", "required": ["label", "kind", "lat", "lon"],
                                                   "properties": {"label": {"type": "string"},
                                                                  "kind": {"type": "string",
                                                                           "examples": ["district", "street",
                                                                                        "building"]},
                                                                  "district": {"type": ["string", "null"]},
                                                                  "lat": _NUM, "lon": _NUM}}}}}),
                      "400": _JSON_ERR},
    }},
    "/staff/map": {"get": {
        "summary": "Staff overview map data for the visible area", "tags": ["staff"], "operationId": "staffMap",
        **_STAFF,
        "description": "Grid clusters of open jobs when zoomed out; single jobs and building footprints from "
                       "zoom 16 on.",
        "parameters": [_query("bbox", _BBOX["schema"], "west,south,east,north (WGS84), west < east and south < "
                              "north (else 400).", True),
                       _query("zoom", {"type": "integer", "minimum": 0, "maximum": 20}, "Map zoom.", True)],
        "responses": {"200": _json({"type": "object", "required": ["mode"], "properties": {
            "mode": {"type": "string", "enum": ["clusters", "detail"]}}}), **_STAFF_ERRORS},
    }},
    "/staff/jobs": {"get": {
        "summary": "The triage queue", "tags": ["staff"], "operationId": "staffJobs", **_STAFF,
        "parameters": [
            _query("status", {"type": "string"}, "open (default), all, or one status."),
            _query("category", _CATEGORY, "Category."),
            _query("owner_type", {"type": "string", "enum": ["municipal", "public", "private"]}, "Owner type."),
            _query("district", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "District id."),
            _query("min_age", {"type": "integer", "minimum": 0, "maximum": 3650}, "Minimum age in days."),
            _query("overdue", {"type": "string", "enum": ["1", "true", "on"]}, "Only overdue jobs."),
            _query("max_priority", {"type": "integer", "minimum": 1, "maximum": 4},
                   "Only jobs of this priority or more urgent (2: the overview's urgent jobs)."),
            _query("q", {"type": "string", "maxLength": 200}, "A job number (#123) or part of the address."),
            _query("assignee", {"type": "string"}, "me, none, or a user id."),
            _query("sort", {"type": "string", "enum": ["priority", "due", "age", "district"]},
                   "Order: priority (overdue first, the default), due, age (oldest first), district."),
            _query("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "Page."),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500}, "Jobs per page."),
        ],
        "responses": {"200": _json({"type": "object", "required": ["total", "page", "jobs"], "properties": {
            "total": {"type": "integer"}, "page": {"type": "integer"},
            "jobs": {"type": "array", "items": {"type": "object", "required": ["id", "status", "priority"],
                                               "properties": {"id": {"type": "integer"}, "status": _STATUS,
                                                              "priority": {"type": "integer"},
                                                              "overdue": {"type": "boolean"}}}}}}),
            **_STAFF_ERRORS},
    }},
    "/staff/plan-proposal": {"get": {
        "summary": "Proposed crew day: the most urgent jobs that fit a shift, shared among crews, in visiting order",
        "tags": ["staff"], "operationId": "staffPlanProposal", **_STAFF,
        "parameters": [_query("hours", {"type": "number", "minimum": 0.5, "maximum": 16}, "Shift length."),
                       _query("crews", {"type": "integer", "minimum": 1, "maximum": 6},
                              "Number of crews (default 1), from the configured depots in turn.")],
        "responses": {"200": _json({"type": "object", "required": ["depot", "distance_m", "stops", "crews"],
                                    "properties": {
            "depot": {"type": "object"}, "distances": {"type": "string", "enum": ["streets", "straight"]},
            "distance_m": _NUM, "drive_min": _NUM, "work_min": _NUM, "total_min": _NUM,
            "crews": {"type": "array", "items": {"type": "object", "required": ["crew", "depot", "stops"]}},
            "deadline_missed": {"type": "array", "items": {"type": "integer"}},
            "stops": {"type": "array", "items": {
                "type": "object", "required": ["seq", "id", "lat", "lon"],
                "properties": {"seq": {"type": "integer"}, "id": {"type": "integer"}, "lat": _NUM, "lon": _NUM}}}}}),
            **_STAFF_ERRORS},
    }},
}
