"""JSON Schemas of the GeoReport v2 answers, written from the specification's field tables
(http://wiki.open311.org/GeoReport_v2) and, for the updates, from mySociety's Open311::Endpoint
(servicerequestupdates). Every Open311 JSON answer in the tests is checked against them."""
import jsonschema_rs

_STR = {"type": "string"}
_DT = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"}


def _array(item):
    return {"type": "array", "items": item}


SCHEMAS = {
    "discovery": {"type": "object", "required": ["changeset", "contact", "endpoints"], "properties": {
        "changeset": _DT, "contact": _STR, "key_service": _STR,
        "endpoints": _array({"type": "object", "required": ["specification", "url", "type", "formats"],
                             "properties": {"specification": _STR, "url": {"type": "string", "pattern": "/$"},
                                            "changeset": _DT, "type": {"enum": ["production", "test"]},
                                            "formats": _array({"enum": ["text/xml", "application/json"]})}})}},
    "services": _array({"type": "object", "required": ["service_code", "service_name", "metadata", "type"],
                        "properties": {"service_code": _STR, "service_name": _STR, "description": _STR,
                                       "metadata": {"type": "boolean"},
                                       "type": {"enum": ["realtime", "batch", "blackbox"]},
                                       "keywords": _STR, "group": _STR}}),
    "service_definition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": _STR,
        "attributes": _array({"type": "object", "required": ["variable", "code", "datatype", "required",
                                                             "order", "description"],
                              "properties": {"variable": {"type": "boolean"}, "code": _STR,
                                             "datatype": {"enum": ["string", "number", "datetime", "text",
                                                                   "singlevaluelist", "multivaluelist"]},
                                             "required": {"type": "boolean"}, "datatype_description": _STR,
                                             "order": {"type": "integer"}, "description": _STR,
                                             "values": _array({"type": "object", "required": ["key", "name"]})}})}},
    "service_requests": _array({"type": "object", "required": [
        "service_request_id", "status", "service_name", "service_code", "requested_datetime", "lat", "long"],
        "properties": {"service_request_id": _STR, "status": {"enum": ["open", "closed"]},
                       "status_notes": {"type": ["string", "null"]}, "service_name": _STR, "service_code": _STR,
                       "description": {"type": ["string", "null"]}, "agency_responsible": _STR,
                       "service_notice": {"type": ["string", "null"]}, "requested_datetime": _DT,
                       "updated_datetime": {"anyOf": [_DT, {"type": "null"}]},
                       "expected_datetime": {"anyOf": [_DT, {"type": "null"}]}, "address": _STR,
                       "address_id": _STR, "zipcode": _STR, "lat": {"type": "number", "minimum": -90, "maximum": 90},
                       "long": {"type": "number", "minimum": -180, "maximum": 180}, "media_url": _STR}}),
    "service_request_created": _array({"type": "object", "required": ["service_notice"], "anyOf": [
        {"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {"service_request_id": _STR, "token": _STR, "service_notice": _STR, "account_id": _STR}}),
    "tokens": _array({"type": "object", "required": ["service_request_id", "token"]}),
    "errors": _array({"type": "object", "required": ["code", "description"],
                      "properties": {"code": {"type": "integer"}, "description": _STR}}),
    "service_request_updates": _array({"type": "object", "required": [
        "update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"],
        "properties": {"update_id": _STR, "service_request_id": _STR, "updated_datetime": _DT,
                       "status": {"enum": ["open", "closed", "fixed", "in_progress", "action_scheduled",
                                           "investigating", "duplicate", "not_councils_responsibility",
                                           "no_further_action", "internal_referral", "reopen"]},
                       "description": _STR, "media_url": _STR, "external_status_code": _STR}}),
    "service_request_update_created": _array({"type": "object", "required": ["update_id"],
                                              "properties": {"update_id": _STR, "account_id": _STR}}),
}


def validate(kind: str, body) -> None:
    """Raise (naming the first violation) unless `body` is a valid `kind` answer."""
    jsonschema_rs.validator_for(SCHEMAS[kind]).validate(body)
