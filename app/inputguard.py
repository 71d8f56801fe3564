"""Input no view can use, refused with 400 and the field it came in before any view runs.

PostgreSQL stores no NUL character and no lone UTF-16 surrogate: such text reaching a query used to end in a
500 (a path like `/r/a%00b`, a login e-mail, a district or tag name, a staff note, a JSON string "\\ud800").
JSON nested deeper than MAX_JSON_DEPTH (a report is flat) is refused before Python's parser recurses into it.
"""
import json

from flask import Flask, current_app, request
from flask_babel import gettext as _

from app.auth.roles import refused_by_role
from app.errors import ValidationFailed

MAX_JSON_DEPTH = 20


def _unusable(text) -> bool:
    if not isinstance(text, str):
        return False
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def _message() -> str:
    return _("Enthält ein unzulässiges Zeichen (NUL oder ungültiges Unicode).")


def _json_depth_exceeded(body: bytes) -> bool:
    """Whether the JSON text nests brackets deeper than MAX_JSON_DEPTH (counted outside strings, no parsing)."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _first_bad(value, field: str | None) -> str | None:
    """The field (top-level key) of the first unusable string in parsed JSON, else None."""
    if isinstance(value, str):
        return field or "json" if _unusable(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            if _unusable(k):
                return field or "json"
            found = _first_bad(v, field or k)
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _first_bad(v, field)
            if found:
                return found
    return None


def check_request() -> None:
    """Refuse the request (ValidationFailed, 400) when its path, query, form or JSON holds unusable text; a
    request the role checks refuse is left to them (anonymous users get the login page or 401, not a 400)."""
    if refused_by_role():
        return
    if _unusable(request.path):
        raise ValidationFailed([("path", _message())])
    for key, value in request.args.items(multi=True):
        if _unusable(key) or _unusable(value):
            raise ValidationFailed([(key if not _unusable(key) else "query", _message())])
    if request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            body = request.get_data(cache=True)
            if _json_depth_exceeded(body):
                raise ValidationFailed([("json", _("JSON ist zu tief verschachtelt (höchstens %(n)d Ebenen).",
                                                   n=MAX_JSON_DEPTH))])
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                return  # the view answers malformed JSON with its own message
            field = _first_bad(data, None)
            if field:
                raise ValidationFailed([(field, _message())])
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and not getattr(
                current_app.view_functions.get(request.endpoint), "form_checked_in_view", False):
            # (a rate-limited view's body, maybe 40 MB of photos, is parsed only within the limit; its fields
            # are each checked by the citizen validation, which drops control characters)
            for key, value in request.form.items(multi=True):
                if _unusable(key) or _unusable(value):
                    raise ValidationFailed([(key if not _unusable(key) else "form", _message())])


def init_app(app: Flask) -> None:
    """Check every request before its view (and before the role checks, which may look up the user)."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
