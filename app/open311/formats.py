"""Open311 GeoReport v2 answers in XML (required by the spec) and JSON, and its error format."""
from datetime import datetime
from xml.etree import ElementTree as ET

from flask import Response, jsonify

XML_TYPE = "text/xml; charset=utf-8"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c_datetime(value)
    return str(value)


def w3c_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with timezone, as the spec requires (e.g. 2026-11-26T09:15:30+00:00)."""
    return value.isoformat(timespec="seconds") if value else None


def _append(parent: ET.Element, name: str, value) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(child, k, v)
    elif isinstance(value, list):
        singular = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute",
                    "values": "value", "keywords": "keyword"}.get(name, "item")
        for item in value:
            _append(child, singular, item)
    else:
        child.text = _text(value)


def to_xml(root: str, item: str | None, payload) -> bytes:
    """Serialise `payload` (a list of dicts under <root><item>..., or one dict under <root>) as UTF-8 XML."""
    el = ET.Element(root)
    if item is None:
        for k, v in payload.items():
            _append(el, k, v)
    else:
        for entry in payload:
            _append(el, item, entry)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(el, encoding="unicode").encode("utf-8")


def _json_ready(value):
    """Datetimes as W3C strings (jsonify would use the HTTP date format)."""
    if isinstance(value, datetime):
        return w3c_datetime(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def respond(fmt: str, root: str, item: str | None, payload, status: int = 200) -> Response:
    """Answer `payload` in the requested format (json or xml)."""
    if fmt == "json":
        resp = jsonify(_json_ready(payload))
        resp.status_code = status
        return resp
    return Response(to_xml(root, item, payload), status=status, content_type=XML_TYPE)


def errors_response(fmt: str, errors: list[tuple[int, str]], status: int) -> Response:
    """The spec's error form: [{"code": ..., "description": ...}] or <errors><error>...</error></errors>."""
    payload = [{"code": code, "description": description} for code, description in errors]
    return respond(fmt, "errors", "error", payload, status)
