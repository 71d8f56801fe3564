"""Error answers: JSON `{"errors": [...]}` for the API, pages for browsers; never a bare 500."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ValidationFailed(Exception):
    """Bad input: a list of (field, message) pairs and the HTTP status to answer with."""

    def __init__(self, errors, status=400):
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = list(errors)
        self.status = status


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(errors, status):
    """Render a list of (field, message) pairs for this request's client."""
    if request.path.startswith("/open311/"):
        from app.open311.formats import errors_response

        fmt = "json" if request.path.endswith(".json") else "xml"
        return errors_response(fmt, [(status, m) for _, m in errors], status)
    if wants_json():
        return jsonify({"errors": [{"field": f, "message": m} for f, m in errors]}), status
    try:
        return render_template("error.html", errors=errors, status=status), status
    except Exception:  # noqa: BLE001 - never fail while reporting a failure
        log.exception("error page could not be rendered")
        text = "\n".join(m for _, m in errors)
        return text, status, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app):
    """Register the error handlers."""

    @app.errorhandler(ValidationFailed)
    def _validation(exc):
        return error_response(exc.errors, exc.status)

    @app.errorhandler(HTTPException)
    def _http(exc):
        return error_response([(None, exc.description)], exc.code)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response([(None, "Internal error; the request was not stored. Please try again.")], 500)
