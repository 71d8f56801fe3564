"""Prevention pages: the measures register (map and list), a measure with its history, its evaluation, the
yearly report; registering and changing measures is for staff and police."""
from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import labels
from app.auth.roles import has_role, role_required
from app.city import current_city
from app.errors import ValidationFailed, get_or_404
from app.extensions import db
from app.models import MEASURE_KINDS, MEASURE_STATUSES, Measure
from app.prevention import EDITORS, bp
from app.services.prevention import evaluation, measures, report
from app.services.core.workdays import local_today
from gis.prevention import MIN_TREATMENT_INCIDENTS


def _map_context(measure_list) -> dict:
    city = current_city()
    return {"center": list(city.center), "zoom": city.zoom, "measures": measures.measures_geojson(measure_list),
            "labels": {"kinds": labels.names(labels.MEASURE_KIND), "open": _("Maßnahme öffnen"),
                       "building": _("Gebäude"), "no_building": _("Hier ist kein Gebäude."),
                       "points": _("Punkte"), "buildings": _("Gebäude gewählt"),
                       "ring": _("Umgebungsring"), "control": _("Vergleichsgebiet")}}


@bp.route("/")
def index():
    """The register: every measure on the map and as a list."""
    rows = measures.list_measures()
    return render_template("prevention/index.html", measures=rows, map=_map_context(rows),
                           can_edit=has_role(*EDITORS))


def _form_page(values, measure=None, errors=(), status=200):
    others = [m for m in measures.list_measures() if measure is None or m.id != measure.id]
    return render_template("prevention/form.html", values=values, measure=measure, errors=dict(errors),
                           kinds=MEASURE_KINDS, statuses=MEASURE_STATUSES, map=_map_context(others)), status


def _submit(measure=None):
    try:
        data = measures.parse_form(request.form)
    except ValidationFailed as exc:
        values = {k: request.form.get(k, "") for k in measures.FORM_FIELDS}
        return _form_page(values, measure, exc.errors, 400)
    saved = measures.save_measure(data, current_user.id, measure)
    db.session.commit()
    return redirect(url_for("prevention.measure", measure_id=saved.id))


@bp.route("/measures/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_measure():
    """Register a measure: what, where (drawn area and/or buildings on the map), when, cost, who."""
    if request.method == "POST":
        return _submit()
    return _form_page({"status": "active", "buffer_m": "200", "months": "12", "gap_months": "0"})[0]


@bp.route("/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_measure(measure_id):
    """Change a measure (every change is kept in its history)."""
    measure = get_or_404(Measure, measure_id)
    if request.method == "POST":
        return _submit(measure)
    return _form_page(measures.form_values(measure), measure)[0]


@bp.route("/measures/<int:measure_id>")
def measure(measure_id):
    """A measure: its details, buildings, map and history."""
    m = get_or_404(Measure, measure_id)
    return render_template("prevention/measure.html", m=m, map=_map_context([m]), can_edit=has_role(*EDITORS),
                           zones=measures.measure_zones(m))


@bp.route("/measures/<int:measure_id>/evaluation")
def measure_evaluation(measure_id):
    """A measure's evaluation: before/after with a control area, displacement, re-spraying, costs."""
    m = get_or_404(Measure, measure_id)
    return render_template("prevention/evaluation.html", m=m, ev=evaluation.evaluate(m),
                           min_incidents=MIN_TREATMENT_INCIDENTS)


@bp.route("/buildings/at")
@role_required(*EDITORS)
def building_at():
    """The building at a clicked point (JSON), for choosing a measure's buildings on the map."""
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError):
        abort(400, description=_("Bitte lat und lon als Zahlen angeben."))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        abort(400, description=_("Bitte lat und lon als Zahlen angeben."))
    return jsonify({"building": measures.building_at(lat, lon)})


@bp.route("/report")
def yearly_report():
    """The yearly report: choose the year, download the PDF."""
    today = local_today()
    return render_template("prevention/report_page.html", years=list(range(today.year, today.year - 6, -1)))


@bp.route("/report.pdf")
def yearly_report_pdf():
    """The yearly report as PDF (`year`, default this year; `lang` de or en)."""
    year = report.valid_year(request.args.get("year") or local_today().year)
    if year is None:
        abort(400, description=_("Bitte ein Jahr von %(first)s bis heute angeben.", first=report.FIRST_YEAR))
    lang = request.args.get("lang") if request.args.get("lang") in ("de", "en") else None
    pdf = report.render_pdf(year, lang)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="graffiti-jahresbericht-{year}.pdf"'})
