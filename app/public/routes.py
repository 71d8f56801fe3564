"""Citizen-facing pages and the health check."""
from datetime import timedelta

import click
from flask import abort, current_app, jsonify, render_template, send_from_directory
from flask_babel import gettext as _

from app import labels, outage
from app.city import current_city
from app.extensions import db
from app.public import bp
from app.services.citizen.photos import is_stored_name
from app.services.citizen.public import STATUS_MAP_RADIUS_M, photo_exists, public_status
from app.services.citizen.retention import purge_reporter_contacts
from app.services.citizen.validation import MAX_DESCRIPTION, MAX_PHOTOS, max_photo_bytes
from app.services.core.health import database_versions
from app.services.core.workdays import city_timezone


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
        return jsonify({"status": "error", "database": str(exc.__class__.__name__)}), 503, \
            {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
    return jsonify({"status": "ok", **versions})


# -- citizens: report form, status page, public map, photos --------------------------------------------

@bp.route("/melden")
def report_form():
    """The mobile-first report page (map, location, photos, category); it submits to POST /api/v1/reports."""
    city = current_city()
    return render_template("public/report.html", city_center=city.center, city_zoom=city.zoom,
                           categories=labels.names(labels.CATEGORY), statuses=labels.names(labels.STATUS),
                           compass=labels.names(labels.COMPASS), max_photos=MAX_PHOTOS, timezone=city_timezone().key,
                           max_photo_mb=max_photo_bytes() // (1024 * 1024), max_description=MAX_DESCRIPTION)


@bp.route("/karte")
def map_page():
    """The public map of reports: approximate positions, category and status only."""
    city = current_city()
    return render_template("public/map.html", city_center=city.center, city_zoom=city.zoom,
                           categories=labels.names(labels.CATEGORY), statuses=labels.names(labels.STATUS))


@bp.route("/r/<token>")
def status_page(token):
    """A report's public status page: status, history, thumbnails; no personal data."""
    info = public_status(token)
    if info is None:
        abort(404, description=_("Keine Meldung mit diesem Link gefunden."))
    return render_template("public/status.html", r=info, approximate_m=STATUS_MAP_RADIUS_M)


@bp.route("/media/<name>")
def media(name):
    """A stored photo or thumbnail, by its content-addressed name only."""
    if not is_stored_name(name) or not photo_exists(name):
        abort(404)
    resp = send_from_directory(current_app.config["UPLOAD_DIR"], name, mimetype="image/jpeg", max_age=31536000)
    resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.cli.command("purge-contacts")
@click.option("--days", default=90, show_default=True, help="Days after a report was finished.")
def purge_contacts_command(days):
    """Forget reporters' contact data of reports finished more than DAYS ago (privacy note)."""
    n = purge_reporter_contacts(timedelta(days=days))
    db.session.commit()
    click.echo(f"contact data removed from {n} reports")
