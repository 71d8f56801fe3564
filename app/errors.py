"""Error answers: JSON `{"errors": [...]}` for the API, pages for browsers; never a bare 500.

A browser's error page keeps the layout of the area it happened in: staff and police users see their area's
menu and a link back into it; everyone else (citizens, and users of another role) the public layout.
"""
import logging

from flask import jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import outage
from app.auth.roles import has_role
from app.services.citizen.photo_files import StorageFull

log = logging.getLogger(__name__)

# Area (first part of the path) -> (error template, roles that see the area's layout)
AREA_ERROR_PAGES = {"staff": ("staff/error.html", ("staff",)), "police": ("police/error.html", ("police",)),
                    "prevention": ("prevention/error.html", ("prevention", "staff", "police"))}
NOT_FOUND = {"reports": _l("Diese Meldung gibt es nicht."), "tags": _l("Diesen Tag gibt es nicht."),
             "crew_plans": _l("Diesen Tagesplan gibt es nicht."), "buildings": _l("Dieses Gebäude gibt es nicht."), "photos": _l("Dieses Foto gibt es nicht."),
             "measures": _l("Diese Maßnahme gibt es nicht.")}
# For Werkzeug's own (English) descriptions: what people read instead, in their language.
HTTP_MESSAGES = {400: _l("Die Anfrage ist ungültig."), 404: _l("Diese Seite gibt es nicht."),
                 405: _l("Diese Aktion ist hier nicht möglich."), 413: _l("Die Anfrage ist zu groß.")}
FORM_EXPIRED = _l("Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite neu und senden Sie "
                  "es noch einmal.")


class ValidationFailed(Exception):
    """Bad input: a list of (field, message) pairs and the HTTP status to answer with."""

    def __init__(self, errors, status=400):
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = list(errors)
        self.status = status


def get_or_404(model, ident):
    """The row of `model` with the primary key `ident`; a 404 saying what does not exist when there is none."""
    from app.extensions import db

    return db.get_or_404(model, ident, description=str(NOT_FOUND[model.__tablename__]))


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_templates() -> list[str]:
    """The error page templates to try for this request: its area's (for users of the area), then the public one."""
    template, roles = AREA_ERROR_PAGES.get(request.path.strip("/").split("/", 1)[0], (None, ()))
    return [template, "error.html"] if template and has_role(*roles) else ["error.html"]


def error_response(errors, status, template=None, headers=None, **context):
    """Render a list of (field, message) pairs for this request's client (a page from `template` if given,
    with `context`)."""
    return make_response(_render_errors(errors, status, template, context), status, headers or {})


def _render_errors(errors, status, template, context):
    if request.path.startswith("/open311/"):
        from app.open311.formats import errors_response

        fmt = "json" if request.path.endswith(".json") else "xml"
        # the spec's error form has no field: the description names it, as Open311's own checks do
        return errors_response(fmt, [(status, f"{f}: {m}" if f else m) for f, m in errors], status)
    if wants_json():
        return jsonify({"errors": [{"field": f, "message": m} for f, m in errors]})
    if request_ctx.url_adapter is None:  # a Host outside TRUSTED_HOSTS: no page (its links cannot be built)
        return make_response("\n".join(m for _, m in errors), status, {"Content-Type": "text/plain; charset=utf-8"})
    for name in [template] if template else error_templates():
        try:
            return render_template(name, errors=errors, status=status, **context)
        except Exception:  # noqa: BLE001 - never fail while reporting a failure
            log.exception("error page %s could not be rendered", name)
    text = "\n".join(m for _, m in errors)
    return make_response(text, status, {"Content-Type": "text/plain; charset=utf-8"})


# Headers of an HTTP exception that belong to the answer whatever its format (405: Allow, 401: WWW-Authenticate)
PASSED_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def http_message(exc: HTTPException) -> str:
    """The message of an HTTP error: the one it was raised with, or a translated one for Werkzeug's English
    default descriptions and Flask-WTF's CSRF refusals."""
    if isinstance(exc, CSRFError):
        return str(FORM_EXPIRED)
    if exc.description == type(exc).description and exc.code in HTTP_MESSAGES:
        return str(HTTP_MESSAGES[exc.code])
    return exc.description


def init_app(app):
    """Register the error handlers."""

    @app.errorhandler(ValidationFailed)
    def _validation(exc):
        return error_response(exc.errors, exc.status)

    @app.errorhandler(StorageFull)
    def _storage_full(exc):
        return error_response([(None, str(exc))], 507)

    @app.errorhandler(HTTPException)
    def _http(exc):
        original = getattr(exc, "original_exception", None)  # a 500 for an error outside the view
        if original is not None and outage.database_unreachable(original):
            return outage.unavailable_response(original)
        headers = {k: v for k, v in exc.get_headers() if k in PASSED_HEADERS}
        return error_response([(None, http_message(exc))], exc.code, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if outage.database_unreachable(exc):
            return outage.unavailable_response(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.method in outage.SAFE_METHODS:
            return error_response([(None, _("Interner Fehler. Bitte versuchen Sie es erneut."))], 500)
        return error_response([(None, _("Interner Fehler; die Anfrage wurde nicht gespeichert. Bitte versuchen Sie "
                                         "es erneut."))], 500)
