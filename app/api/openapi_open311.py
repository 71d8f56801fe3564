"""The OpenAPI 3 document of the Open311 GeoReport v2 interface under /open311/v2/ (served there as
openapi.json), with FixMyStreet's servicerequestupdates extension. Every path takes the format as its
suffix: `.json` (the schemas below) or `.xml` (the same fields as elements, the spec's default)."""
_STR = {"type": "string"}
_DT = {"type": "string", "format": "date-time"}
_FMT = {"name": "fmt", "in": "path", "required": True, "schema": {"enum": ["xml", "json"]},
        "description": "Answer format: xml (the spec's default) or json."}
_KEY = {"name": "api_key", "in": "query", "required": True, "schema": _STR, "description": "The client's API key."}
_WINDOW = [{"name": n, "in": "query", "required": False, "schema": _DT,
            "description": "ISO 8601; the window is at most 90 days, by default the last 90 days."}
           for n in ("start_date", "end_date")]
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False, "schema": _STR,
                 "description": "Checked when OPEN311_JURISDICTION_ID is set (another value: 404)."}
_LIST_HEADERS = {
    "X-Open311-Limit": {"schema": {"type": "integer"}, "description": "The most entries one answer holds."},
    "X-Open311-Truncated": {"schema": {"enum": ["true", "false"]},
                            "description": "true: older entries of the window were left out; follow Link."},
    "Link": {"schema": _STR, "description": "When truncated: <the same query with end_date moved>; rel=\"next\"."},
}


def _array(ref: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}


def _answer(schema: dict, description: str, headers: dict | None = None) -> dict:
    return {"description": description, **({"headers": headers} if headers else {}), "content": {
        "application/json": {"schema": schema}, "text/xml": {"schema": _STR}}}


_ERRORS = {code: _answer(_array("Error"), text) for code, text in (
    ("400", "Bad input; the description names the field."), ("403", "No valid API key."),
    ("404", "Unknown service, request, token, format or jurisdiction."),
    ("429", "Over the per-address limit; see Retry-After."))}


def _form(properties: dict, required: list[str]) -> dict:
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


SCHEMAS = {
    "Error": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": _STR}},
    "Service": {"type": "object", "required": ["service_code", "service_name", "metadata", "type"], "properties": {
        "service_code": _STR, "service_name": _STR, "description": _STR, "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]}, "keywords": _STR, "group": _STR}},
    "ServiceDefinition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": _STR, "attributes": {"type": "array", "items": {"type": "object"}}}},
    "ServiceRequest": {
        "type": "object", "description": "No more than the public map shows: the position on its 25 m grid, "
                                         "description and media_url only once staff released them.",
        "required": ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"],
        "properties": {"service_request_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                       "status": {"enum": ["open", "closed"]}, "status_notes": _STR, "service_name": _STR,
                       "service_code": _STR, "description": _STR, "agency_responsible": _STR,
                       "service_notice": _STR, "requested_datetime": _DT, "updated_datetime": _DT,
                       "expected_datetime": {"oneOf": [_DT, {"type": "null"}]}, "address": _STR,
                       "address_id": _STR, "zipcode": _STR, "lat": {"type": "number"}, "long": {"type": "number"},
                       "media_url": _STR}},
    "ServiceRequestCreated": {"type": "object", "required": ["service_request_id", "service_notice"],
                              "properties": {"service_request_id": _STR, "service_notice": _STR,
                                             "account_id": _STR}},
    "ServiceRequestUpdate": {
        "type": "object", "required": ["update_id", "service_request_id", "status", "updated_datetime",
                                       "description", "media_url"],
        "properties": {"update_id": _STR, "service_request_id": _STR, "updated_datetime": _DT,
                       "status": {"enum": ["open", "investigating", "action_scheduled", "not_councils_responsibility",
                                           "fixed", "closed", "no_further_action"]},
                       "description": {"type": "string", "description": "The city's message to the citizen, "
                                                                        "else a note on the status."},
                       "media_url": _STR, "external_status_code": _STR}},
}

PATHS = {
    "/discovery.{fmt}": {"get": {"summary": "Service discovery", "operationId": "discovery", "parameters": [_FMT],
                                 "responses": {"200": _answer({"type": "object"}, "Endpoint (url ends with /), "
                                                                                  "formats, contact."), **_ERRORS}}},
    "/services.{fmt}": {"get": {"summary": "Services (report categories)", "operationId": "services",
                                "parameters": [_FMT, _JURISDICTION],
                                "responses": {"200": _answer(_array("Service"), "The services."), **_ERRORS}}},
    "/services/{code}.{fmt}": {"get": {
        "summary": "A service's attributes", "operationId": "serviceDefinition",
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": _STR}, _FMT],
        "responses": {"200": _answer({"$ref": "#/components/schemas/ServiceDefinition"}, "surface, offensive."),
                      **_ERRORS}}},
    "/requests.{fmt}": {
        "get": {"summary": "Service requests", "operationId": "requests",
                "parameters": [_FMT, _JURISDICTION, *_WINDOW,
                               {"name": "service_request_id", "in": "query", "required": False, "schema": _STR,
                                "description": "Comma-separated public ids (others then ignored)."},
                               {"name": "service_code", "in": "query", "required": False, "schema": _STR},
                               {"name": "status", "in": "query", "required": False, "schema": _STR}],
                "responses": {"200": _answer(_array("ServiceRequest"), "Newest first, at most 1,000.",
                                             _LIST_HEADERS), **_ERRORS}},
        "post": {"summary": "File a service request", "operationId": "createRequest", "parameters": [_FMT],
                 "requestBody": _form({"api_key": _STR, "service_code": _STR, "lat": {"type": "number"},
                                       "long": {"type": "number"}, "address_string": _STR, "description": _STR,
                                       "email": _STR, "first_name": _STR, "last_name": _STR, "phone": _STR,
                                       "media_url": {"type": "string", "format": "uri"},
                                       "attribute[surface]": _STR, "attribute[offensive]": _STR},
                                      ["api_key", "service_code"]),
                 "responses": {"200": _answer(_array("ServiceRequestCreated"), "Stored."), **_ERRORS}}},
    "/requests/{request_id}.{fmt}": {"get": {
        "summary": "One service request", "operationId": "request",
        "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": _STR}, _FMT],
        "responses": {"200": _answer(_array("ServiceRequest"), "The request."), **_ERRORS}}},
    "/tokens/{token}.{fmt}": {"get": {
        "summary": "The service_request_id behind a status token", "operationId": "token",
        "parameters": [{"name": "token", "in": "path", "required": True, "schema": _STR}, _FMT],
        "responses": {"200": _answer({"type": "array"}, "service_request_id and token."), **_ERRORS}}},
    "/servicerequestupdates.{fmt}": {
        "get": {"summary": "Updates on this client's requests (FixMyStreet's extension)",
                "operationId": "updates", "parameters": [_FMT, _KEY, _JURISDICTION, *_WINDOW],
                "responses": {"200": _answer(_array("ServiceRequestUpdate"), "Newest first, at most 1,000; never "
                                             "internal notes or personal data.", _LIST_HEADERS), **_ERRORS}},
        "post": {"summary": "A client's comment on its request, kept for staff (never published)",
                 "operationId": "postUpdate", "parameters": [_FMT],
                 "requestBody": _form({"api_key": _STR, "service_request_id": _STR,
                                       "description": {"type": "string", "maxLength": 2000},
                                       "update_id": {"type": "string", "maxLength": 100},
                                       "update_id_ext": {"type": "string", "maxLength": 100}, "status": _STR,
                                       "updated_datetime": _DT, "media_url": {"type": "string", "format": "uri"}},
                                      ["api_key", "service_request_id", "description"]),
                 "responses": {"200": _answer({"type": "array", "items": {
                     "type": "object", "required": ["update_id"], "properties": {"update_id": _STR}}},
                     "Stored (a retry with the same update_id: the same answer)."), **_ERRORS}}},
    "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                              "responses": {"200": {"description": "OpenAPI 3.",
                                                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
}


def build_open311_document(city_name: str) -> dict:
    """The OpenAPI document of /open311/v2/."""
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Open311 GeoReport v2 – {city_name}", "version": "2",
                 "description": "GeoReport v2 with FixMyStreet's servicerequestupdates; every path answers XML "
                                "with .xml and JSON with .json. Reading needs no key and shows no more than the "
                                "public map; filing and updates need an API key. docs/open311.md has the rules."},
        "servers": [{"url": "/open311/v2"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
