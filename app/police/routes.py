"""Police pages: hotspot map with evaluation, near-repeat test, exports, printable page, tags, reports.

Every route requires the police role (admins pass); the contact access log is for admins only.
"""
import json
import logging
from itertools import pairwise
from urllib.parse import urlencode

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from sqlalchemy import select, text

from app import labels
from app.api.hotspots import method_options
from app.auth.roles import role_required
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Removal, Report, StatusEvent, Tag
from app.police import bp
from app.services.core.workdays import city_timezone
from app.services.police import analyses, contact, filters, maps
from app.services.police import exports as ex
from app.services.police import tags as tag_service
from gis.knox import DEFAULT_DAYS, DEFAULT_DISTANCES
from gis.maps_police import Assets

log = logging.getLogger(__name__)
PER_PAGE = 50


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
        "cluster_popup": {"cluster": _("Cluster"), "reports": _("Meldungen"), "period": _("Zeitraum"),
                          "buildings": pgettext("count", "Gebäude"), "retagged": _("erneut besprüht")},
        "incident_popup": {"tags": _("Tags"), "open": _("Meldung öffnen")},
        "tag_popup": {"tag": _("Sprayer-Tag"), "open": _("Meldung öffnen")},
    }


def _report_url(report_id: int) -> str:
    return url_for("police.report", report_id=report_id)


def _filters_and_options():
    """Filters and method options from the query string; ValidationFailed with all problems."""
    errors = []
    opts = method_options(request.args, errors)
    try:
        f = filters.parse_filters(request.args)
    except ValidationFailed as exc:
        errors += exc.errors
        f = None
    if errors:
        raise ValidationFailed(errors)
    return f, opts


def _form_context(f, opts) -> dict:
    return {"f": f, "opts": opts, "districts": filters.districts(), "categories": category_labels(),
            "weekdays": list(labels.names(labels.WEEKDAY).items()),
            "args": request.args,
            "query": urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page"])}


@bp.route("/")
@role_required("police")
def index():
    """The hotspot map for a chosen period with filters, evaluation figures and exports."""
    f, opts = _filters_and_options()
    return render_template("police/index.html", figures=maps.figures(f, opts), class_labels=class_labels(),
                           **_form_context(f, opts))


@bp.route("/map/frame")
@role_required("police")
def map_frame():
    """The folium map document shown in the hotspot page's frame."""
    f, opts = _filters_and_options()
    html_doc = maps.hotspot_map(f, opts, _assets(), _map_labels(), _report_url)
    return Response(html_doc, mimetype="text/html")


@bp.route("/print")
@role_required("police")
def print_page():
    """Printable page: map image and the figures, for the steering committee and case files."""
    f, opts = _filters_and_options()
    return render_template("police/print.html", figures=maps.figures(f, opts), class_labels=class_labels(),
                           **_form_context(f, opts))


@bp.route("/map.png")
@role_required("police")
def map_png():
    """The static map image of the printable page."""
    f, opts = _filters_and_options()
    legend = {**class_labels(), "clusters": _("Dichte-Cluster (DBSCAN)")}
    title = _("%(city)s, %(start)s bis %(end)s", city=current_app.extensions["city"].name,
              start=f.echo()["from"], end=f.echo()["to"])
    return Response(maps.print_png(f, opts, title, legend), mimetype="image/png")


EXPORT_KINDS = ("clusters", "gistar", "incidents")


@bp.route("/export/<kind>.<fmt>")
@role_required("police")
def export(kind, fmt):
    """GeoJSON or CSV of clusters, Gi* cells or incidents for the chosen filters."""
    if kind not in EXPORT_KINDS or fmt not in ("geojson", "csv"):
        abort(404)
    f, opts = _filters_and_options()
    if kind == "clusters":
        res = analyses.dbscan(f, opts["eps"], opts["min_points"])
        feats, params = ex.cluster_features(res), res.parameters
    elif kind == "gistar":
        res = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"])
        feats, params = ex.gistar_features(res), res.parameters
    else:
        feats, params = ex.incident_features(ex.incident_rows(f)), {"method": "incidents", **f.echo()}
    name = f"{kind}_{params['from']}_{params['to']}.{fmt}"
    log.info("user %s exported %s (%s features)", current_user.id, name, len(feats))
    if fmt == "geojson":
        body = json.dumps(ex.feature_collection(feats, params), ensure_ascii=False)
        mimetype = "application/geo+json"
    else:
        body = ex.to_csv(feats, with_centroid=True)
        mimetype = "text/csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bands(name, default, errors):
    raw = request.args.get(name)
    if not raw:
        return list(default)
    try:
        values = [float(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        values = []
    if len(values) < 2 or any(b <= a for a, b in pairwise(values)) or values[0] < 0 or len(values) > 12:
        errors.append((name, _("Bitte 2 bis 12 aufsteigende Zahlen ab 0, durch Kommas getrennt.")))
        return list(default)
    return values


@bp.route("/near-repeat")
@role_required("police")
def near_repeat():
    """Knox test: how long and how far the risk around a hit building stays raised."""
    errors = []
    distances = _bands("distances", DEFAULT_DISTANCES, errors)
    days = _bands("days", DEFAULT_DAYS, errors)
    perms_raw = request.args.get("permutations", "99")
    perms = int(perms_raw) if perms_raw.isdigit() and 19 <= int(perms_raw) <= 999 else None
    if perms is None:
        errors.append(("permutations", _("Permutationen: eine ganze Zahl von 19 bis 999.")))
    f, opts = _filters_and_options()
    if errors:
        raise ValidationFailed(errors)
    result = analyses.near_repeat(f, distances, days, perms)
    return render_template("police/near_repeat.html", result=result, distances=distances, days=days,
                           permutations=perms, **_form_context(f, opts))


# ---------------------------------------------------------------- reports and tags
@bp.route("/reports")
@role_required("police")
def reports():
    """Reports for the filters, newest first, with their tags (to find incidents and tag them)."""
    f, opts = _filters_and_options()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    where, params = filters.where_clause(f)
    total = db.session.execute(text(f"SELECT count(*) FROM reports r WHERE {where}"), params).scalar()
    rows = db.session.execute(text(f"""
        SELECT r.id, r.created_at, r.category, r.status, r.address, r.description,
               (SELECT string_agg(t.display_name, ', ' ORDER BY t.display_name) FROM report_tags rt
                  JOIN tags t ON t.id = rt.tag_id WHERE rt.report_id = r.id) AS tags
        FROM reports r WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}).mappings().all()
    return render_template("police/reports.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
                           tz=city_timezone(), **_form_context(f, opts))


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404, description=_("Diese Meldung gibt es nicht."))
    return report


def _render_report(report, revealed=None, status=200):
    removals = db.session.scalars(select(Removal).where(Removal.report_id == report.id)).all()
    events = db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)
                                .order_by(StatusEvent.created_at)).all()
    return render_template("police/report.html", report=report, tags=tag_service.tags_of(report.id),
                           has_contact=contact.has_contact(report), revealed=revealed, removals=removals,
                           events=events,
                           tz=city_timezone(), all_tags=db.session.scalars(select(Tag).order_by(Tag.name)).all()
                           ), status


@bp.route("/reports/<int:report_id>")
@role_required("police")
def report(report_id):
    """One report for police: details, tags; contact data only on request."""
    return _render_report(_report_or_404(report_id))


@bp.route("/reports/<int:report_id>/tags", methods=["POST"])
@role_required("police")
def add_tag(report_id):
    """Attach a tag (normalised name) to the report."""
    report = _report_or_404(report_id)
    tag = tag_service.attach(report, request.form.get("tag", ""), current_user)
    db.session.commit()
    flash(_("Tag „%(name)s“ zugeordnet.", name=tag.display_name))
    return redirect(url_for("police.report", report_id=report.id))


@bp.route("/reports/<int:report_id>/tags/<int:tag_id>/remove", methods=["POST"])
@role_required("police")
def remove_tag(report_id, tag_id):
    """Remove a tag from the report."""
    report = _report_or_404(report_id)
    tag_service.detach(report, tag_id, current_user)
    db.session.commit()
    flash(_("Tag entfernt."))
    return redirect(url_for("police.report", report_id=report.id))


@bp.route("/reports/<int:report_id>/contact", methods=["POST"])
@role_required("police")
def reveal_contact(report_id):
    """Show the reporter's contact data on explicit request; the access is logged."""
    report = _report_or_404(report_id)
    if not contact.has_contact(report):
        flash(_("Zu dieser Meldung gibt es keine Kontaktdaten."))
        return redirect(url_for("police.report", report_id=report.id))
    data = contact.reveal_contact(report, current_user, request.form.get("reason"))
    db.session.commit()
    resp, status = _render_report(report, revealed=data)
    return resp, status, {"Cache-Control": "no-store"}


@bp.route("/tags")
@role_required("police")
def tags():
    """All tags with counts, buildings, removal cost, and pairs that may be the same sprayer."""
    return render_template("police/tags.html", tags=tag_service.tag_statistics(),
                           suggestions=tag_service.suggestions(), tz=city_timezone())


def _tag_or_404(tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404, description=_("Diesen Tag gibt es nicht."))
    return tag


@bp.route("/tags/<int:tag_id>")
@role_required("police")
def tag(tag_id):
    """One tag: map, monthly timeline, count, buildings, removal cost caused, incidents."""
    t = _tag_or_404(tag_id)
    stats = tag_service.tag_statistics(t.id)[0]
    timeline = tag_service.timeline(t.id)
    return render_template("police/tag.html", tag=t, stats=stats, timeline=timeline,
                           peak=max((n for _, n in timeline), default=1), incidents=tag_service.incidents(t.id, 200),
                           tz=city_timezone())


@bp.route("/tags/<int:tag_id>/map")
@role_required("police")
def tag_map(tag_id):
    """The map document of one tag's incidents."""
    t = _tag_or_404(tag_id)
    return Response(maps.tag_map(t.id, t.display_name, _assets(), _map_labels(), _report_url), mimetype="text/html")


@bp.route("/access-log")
@role_required("admin")
def access_log():
    """Admins: who looked at which reporter's contact data, and when."""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    rows, total = contact.access_log(page)
    return render_template("police/access_log.html", rows=rows, total=total, page=page, per_page=100,
                           tz=city_timezone())
