"""Police pages: hotspot map with evaluation, near-repeat test, exports, printable page, tags, reports.

Every route requires the police role (admins pass); the contact access log is for admins only.
"""
import json
import logging
from urllib.parse import urlencode

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from app import labels
from app.auth.roles import role_required
from app.errors import get_or_404
from app.extensions import db
from app.models import Report, Tag
from app.police import bp
from app.security import html_document
from app.services.core.workdays import city_timezone
from app.services.police import analyses, contact, filters, maps, parameters
from app.services.police import reports as report_service
from app.services.police import exports as ex
from app.services.police import tags as tag_service
from gis.maps_police import Assets

log = logging.getLogger(__name__)


def category_labels() -> dict:
    """Category names in the current language (for the filter form and map popups)."""
    return labels.names(labels.CATEGORY)


def class_labels() -> dict:
    """Gi* class names in the current language (legend, figures, map)."""
    return labels.names(labels.HOTSPOT_CLASS)


def _assets() -> Assets:
    def s(path):
        return url_for("static", filename=path)
    return Assets(s("vendor/leaflet/leaflet.js"), s("vendor/leaflet/leaflet.css"),
                  s("vendor/markercluster/leaflet.markercluster.js"),
                  [s("vendor/markercluster/MarkerCluster.css"), s("vendor/markercluster/MarkerCluster.Default.css")],
                  s("js/police_map.js"))


def _map_labels() -> dict:
    return {
        "tiles": _("Stadtplan (OpenStreetMap)"), "area": _("Untersuchungsgebiet"),
        "kde_layer": _("Kerndichte (Bandbreite {bw} m)"), "gi_layer": _("Gi*-Hotspots (signifikante Zellen)"),
        "cluster_layer": _("Dichte-Cluster (DBSCAN)"), "monthly_layer": _("Monatsverlauf (Schieberegler)"),
        "incidents_layer": _("Einzelne Vorfälle"), "incidents_aggregated_layer": _("Vorfälle je 100-m-Zelle"),
        "month": _("Monat"), "legend": _("Legende"),
        "kde_note": _("Kerndichte: Gauß-Kern, Bandbreite {bw} m"),
        "gi_note": _("Gi*: Zellen {cell} m, FDR-kontrolliert"), "classes": class_labels(),
        "counts_layer": _("Meldungen je Zelle (ohne Hotspot-Klassen)"),
        "emerging_layer": _("Aufkommende Hotspots (Trend je Zelle)"), "patterns": labels.names(labels.EMERGING_PATTERN),
        "emerging_too_few": _("Aufkommende Hotspots: zu wenige Meldungen oder weniger als 10 Zeitschritte."),
        "too_few": _("Zu wenige Meldungen für eine Aussage: nur Anzahlen, keine Hotspot-Klassen."),
        "cluster_popup": {"cluster": _("Cluster"), "reports": _("Meldungen"), "period": _("Zeitraum"),
                          "buildings": pgettext("count", "Gebäude"), "retagged": _("erneut besprüht")},
        "incident_popup": {"tags": _("Tags"), "open": _("Meldung öffnen")},
        "tag_popup": {"tag": _("Sprayer-Tag"), "open": _("Meldung öffnen")},
    }


def _report_url(report_id: int) -> str:
    return url_for("police.report", report_id=report_id)


def _form_context(f, opts) -> dict:
    return {"f": f, "opts": opts, "districts": filters.districts(), "categories": category_labels(),
            "weekdays": list(labels.names(labels.WEEKDAY).items()),
            "args": request.args,
            "query": urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page"])}


@bp.route("/", endpoint="index", defaults={"template": "police/index.html"})
@bp.route("/print", endpoint="print_page", defaults={"template": "police/print.html"})
def hotspot_page(template):
    """The hotspot map for a chosen period with filters, evaluation figures and exports; or the printable page
    (map image and the figures, for the steering committee and case files)."""
    f, opts = parameters.analysis_request(request.args)
    return render_template(template, figures=maps.figures(f, opts), class_labels=class_labels(),
                           **_form_context(f, opts))


@bp.route("/map/frame")
def map_frame():
    """The folium map document shown in the hotspot page's frame."""
    f, opts = parameters.analysis_request(request.args)
    html_doc = maps.hotspot_map(f, opts, _assets(), _map_labels(), _report_url)
    return html_document(html_doc)


@bp.route("/map.png")
def map_png():
    """The static map image of the printable page."""
    f, opts = parameters.analysis_request(request.args)
    legend = {**class_labels(), "clusters": _("Dichte-Cluster (DBSCAN)")}
    title = _("%(city)s, %(start)s bis %(end)s", city=current_app.extensions["city"].name,
              start=f.echo()["from"], end=f.echo()["to"])
    return Response(maps.print_png(f, opts, title, legend), mimetype="image/png")


@bp.route("/export/<kind>.<fmt>")
def export(kind, fmt):
    """GeoJSON or CSV of clusters, Gi* cells or incidents for the chosen filters."""
    if kind not in ex.EXPORT_KINDS or fmt not in ("geojson", "csv"):
        abort(404)
    f, opts = parameters.analysis_request(request.args)
    feats, params = ex.export_features(kind, f, opts)
    name = f"{kind}_{params['from']}_{params['to']}.{fmt}"
    log.info("user %s exported %s (%s features)", current_user.id, name, len(feats))
    if fmt == "geojson":
        body = json.dumps(ex.feature_collection(feats, params), ensure_ascii=False)
        mimetype = "application/geo+json"
    else:
        body = ex.to_csv(feats, ex.EXPORT_FIELDS[kind], with_centroid=True)
        mimetype = "text/csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/near-repeat")
def near_repeat():
    """Knox test: how long and how far the risk around a hit building stays raised."""
    f, opts, distances, days, perms = parameters.near_repeat_request(request.args)
    result = analyses.near_repeat(f, distances, days, perms)
    return render_template("police/near_repeat.html", result=result, distances=distances, days=days,
                           permutations=perms if perms is not None else result.permutations, **_form_context(f, opts))


# ---------------------------------------------------------------- reports and tags
@bp.route("/reports")
def reports():
    """Reports for the filters, newest first, with their tags (to find incidents and tag them)."""
    f, opts = parameters.analysis_request(request.args)
    page = parameters.page_number(request.args)
    rows, total = report_service.report_list(f, page)
    return render_template("police/reports.html", rows=rows, total=total, page=page,
                           photos=report_service.photos_of(r.id for r in rows),
                           per_page=report_service.PER_PAGE, tz=city_timezone(), **_form_context(f, opts))


def _render_report(report, revealed=None):
    return render_template("police/report.html", report=report, revealed=revealed, tz=city_timezone(),
                           **report_service.report_details(report))


@bp.route("/reports/<int:report_id>")
def report(report_id):
    """One report for police: details, tags; contact data only on request."""
    return _render_report(get_or_404(Report, report_id))


@bp.route("/reports/<int:report_id>/tags", methods=["POST"])
def add_tag(report_id):
    """Attach a tag (normalised name) to the report."""
    report = get_or_404(Report, report_id)
    tag = tag_service.attach(report, request.form.get("tag", ""), current_user)
    db.session.commit()
    flash(_("Tag „%(name)s“ zugeordnet.", name=tag.display_name))
    return redirect(url_for("police.report", report_id=report.id))


@bp.route("/reports/<int:report_id>/tags/<int:tag_id>/remove", methods=["POST"])
def remove_tag(report_id, tag_id):
    """Remove a tag from the report."""
    report = get_or_404(Report, report_id)
    tag_service.detach(report, tag_id, current_user)
    db.session.commit()
    flash(_("Tag entfernt."))
    return redirect(url_for("police.report", report_id=report.id))


@bp.route("/reports/<int:report_id>/contact", methods=["POST"])
def reveal_contact(report_id):
    """Show the reporter's contact data on explicit request; the access is logged."""
    report = get_or_404(Report, report_id)
    if not contact.has_contact(report):
        flash(_("Zu dieser Meldung gibt es keine Kontaktdaten."))
        return redirect(url_for("police.report", report_id=report.id))
    data = contact.reveal_contact(report, current_user, request.form.get("reason"))
    db.session.commit()
    return _render_report(report, revealed=data), 200, {"Cache-Control": "no-store"}


@bp.route("/tags")
def tags():
    """All tags with counts, buildings, removal cost, and pairs that may be the same sprayer."""
    return render_template("police/tags.html", tags=tag_service.tag_statistics(),
                           suggestions=tag_service.suggestions(), tz=city_timezone())


@bp.route("/tags/<int:tag_id>")
def tag(tag_id):
    """One tag: map, monthly timeline, count, buildings, removal cost caused, incidents."""
    t = get_or_404(Tag, tag_id)
    stats = tag_service.tag_statistics(t.id)[0]
    timeline = tag_service.timeline(t.id)
    incidents = tag_service.incidents(t.id, 200)
    return render_template("police/tag.html", tag=t, stats=stats, timeline=timeline,
                           peak=max((n for _, n in timeline), default=1), incidents=incidents,
                           photos=report_service.photos_of(r["id"] for r in incidents), tz=city_timezone())


@bp.route("/tags/<int:tag_id>/map")
def tag_map(tag_id):
    """The map document of one tag's incidents."""
    t = get_or_404(Tag, tag_id)
    return html_document(maps.tag_map(t.id, t.display_name, _assets(), _map_labels(), _report_url))


@bp.route("/access-log")
@role_required("admin")
def access_log():
    """Admins: who looked at which reporter's contact data, and when."""
    page = parameters.page_number(request.args)
    rows, total = contact.access_log(page)
    return render_template("police/access_log.html", rows=rows, total=total, page=page, per_page=100,
                           tz=city_timezone())
