"""The installable web app: its manifest, its service worker (/sw.js) and "my reports on this phone".

The service worker (app/static/js/sw.js) is served from the site's root so that its scope covers every
citizen page ("/", "/melden", "/meine-meldungen"); its first line names what it keeps for offline use and a
version that changes with those files, so a changed script installs a new worker with a fresh cache.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import current_app, jsonify, make_response, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app import labels
from app.public import bp
from app.services.core.workdays import city_timezone

THEME_COLOR = "#b3001b"
# Static files the citizen pages need, relative to app/static: kept by the service worker at install time.
OFFLINE_ASSETS = (
    "app.css", "public.css", "vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js",
    "vendor/leaflet/images/marker-icon.png", "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png", "vendor/leaflet/images/layers.png",
    "vendor/leaflet/images/layers-2x.png", "js/leaflet-i18n.js", "js/outbox.js", "js/pwa.js", "js/report.js", "js/report-queue.js",
    "js/my-reports.js", "icons/icon-192.png", "icons/icon-512.png", "icons/apple-touch-icon.png",
)
OFFLINE_PAGES = ("public.index", "public.report_form", "public.my_reports")
OFFLINE_DATA = ("api.city", "public.manifest")   # answered from the network, the kept copy without one
ICONS = (("icons/icon-192.png", "192x192", "any"), ("icons/icon-512.png", "512x512", "any"),
         ("icons/maskable-192.png", "192x192", "maskable"), ("icons/maskable-512.png", "512x512", "maskable"))


@lru_cache(maxsize=4)
def _version(static_folder: str) -> str:
    """A short hash of the worker's script and every file it keeps (read once per process)."""
    digest = hashlib.sha256()
    for rel in ("js/sw.js", *OFFLINE_ASSETS):
        digest.update((Path(static_folder) / rel).read_bytes())
    return digest.hexdigest()[:16]


def offline_urls() -> dict:
    """What the service worker keeps: page paths, data paths (network first) and static asset paths."""
    return {"pages": [url_for(e) for e in OFFLINE_PAGES], "data": [url_for(e) for e in OFFLINE_DATA],
            "assets": [url_for("static", filename=f) for f in OFFLINE_ASSETS]}


@bp.route("/sw.js")
def service_worker():
    """The service worker, with the scope "/" (no Service-Worker-Allowed needed at the root)."""
    static = current_app.static_folder
    config = {"version": _version(static), **offline_urls()}
    script = (Path(static) / "js" / "sw.js").read_text(encoding="utf-8")
    resp = make_response(f"self.PWA = {json.dumps(config)};\n{script}")
    resp.mimetype = "text/javascript"
    # Browsers check for a new worker on each visit; no caching in between makes that check see a change.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest in the visitor's language: name, icons, colours, start page, shortcuts."""
    body = {
        "name": _("Graffiti melden – %(city)s", city=current_app.extensions["city"].name),
        "short_name": _("Graffiti melden"),
        "description": _("Graffiti und Schäden an Gebäuden melden, auch ohne Netz."),
        "lang": str(get_locale()), "start_url": url_for("public.index"), "scope": "/", "id": "/",
        "display": "standalone", "background_color": "#ffffff", "theme_color": THEME_COLOR,
        "icons": [{"src": url_for("static", filename=f), "sizes": s, "type": "image/png", "purpose": p}
                  for f, s, p in ICONS],
        "shortcuts": [{"name": _("Jetzt melden"), "url": url_for("public.report_form")},
                      {"name": _("Meine Meldungen"), "url": url_for("public.my_reports")}],
    }
    resp = jsonify(body)
    resp.mimetype = "application/manifest+json"
    return resp


@bp.route("/meine-meldungen")
def my_reports():
    """The reports sent from this phone: kept in its browser only, their status asked of the API."""
    return render_template("public/my_reports.html", statuses=labels.names(labels.STATUS),
                           categories=labels.names(labels.CATEGORY), timezone=city_timezone().key)
