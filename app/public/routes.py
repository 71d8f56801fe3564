"""Citizen-facing pages and the health check."""
from flask import jsonify, render_template

from app.public import bp
from app.services.health import database_versions


@bp.route("/")
def index():
    """Start page: report graffiti, follow a report, see the map."""
    return render_template("public/index.html")


@bp.route("/healthz")
def healthz():
    """Liveness and database check: 200 with the PostgreSQL and PostGIS versions, 503 without a database."""
    try:
        versions = database_versions()
    except Exception as exc:  # noqa: BLE001 - any database failure means "unhealthy"
        return jsonify({"status": "error", "database": str(exc.__class__.__name__)}), 503
    return jsonify({"status": "ok", **versions})
