"""Staff pages: overview, triage queue, job details, removals, crew-day planning, statistics."""
from datetime import UTC, date, datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from app import labels
from app.city import current_city
from app.errors import ValidationFailed, get_or_404
from app.extensions import db
from app.models import CATEGORIES, OWNER_TYPES, REMOVAL_METHODS, STATUSES, CrewPlan, Report
from app.services.core.attribution import map_attribution
from app.services.core.workdays import local_today
from app.services.core.workflow import TRANSITIONS, WorkflowError
from app.services.staff import planning, removals, statistics, triage
from app.staff import bp
from gis.maps_staff import plan_map


@bp.route("/")
def index():
    """Staff start page: counts and the overview map (data is loaded per visible area from the API)."""
    map_labels = {"job": _("Auftrag"), "open": _("Details öffnen"), "overdue": _("überfällig"), "due": _("fällig"),
                  "reports": _("Aufträge"), "zoom": _("Hineinzoomen für Einzelaufträge"), "status": _("Status"),
                  "statuses": labels.names(labels.STATUS), "categories": labels.names(labels.CATEGORY)}
    return render_template("staff/index.html", summary=triage.summary(), map_labels=map_labels)


@bp.route("/queue")
def queue():
    """The triage queue with filters."""
    filters = triage.parse_filters(request.args)
    jobs, total = triage.job_queue(filters)
    return render_template("staff/queue.html", jobs=jobs, total=total, filters=filters, statuses=STATUSES,
                           categories=CATEGORIES, owner_types=OWNER_TYPES, districts=triage.districts(),
                           now=datetime.now(UTC))


def _job_page(report, error=None, status=200):
    removal_rows = triage.removals_of(report)
    return render_template(
        "staff/job.html", report=report, target=triage.target_of(report), linked=triage.linked_reports(report),
        history=triage.history(report), removals=removal_rows,
        photos=removals.after_photos([r.id for r in removal_rows]), allowed=sorted(TRANSITIONS[report.status]),
        methods=REMOVAL_METHODS, error=error, now=datetime.now(UTC), today=local_today().isoformat(),
        reply_codes=labels.PUBLIC_REPLY_FOR, message_required=triage.MESSAGE_REQUIRED,
    ), status


@bp.route("/jobs/<int:report_id>")
def job(report_id):
    """One job: report, building, linked reports, due time, history, removals, actions."""
    return _job_page(get_or_404(Report, report_id))


@bp.route("/jobs/<int:report_id>/status", methods=["POST"])
def change_status(report_id):
    """Apply a status change from the job page; illegal ones are refused with a message (409)."""
    report = get_or_404(Report, report_id)
    form = request.form
    try:
        dup = form.get("duplicate_of") or None
        triage.change_job_status(report, form.get("to", ""), current_user, note=form.get("note"),
                                 duplicate_of=int(dup) if dup and dup.isdigit() else (dup and -1),
                                 est_area=form.get("est_area_m2"), est_method=form.get("est_method"),
                                 public_reply=form.get("public_reply"), public_message=form.get("public_message"))
    except WorkflowError as exc:
        db.session.rollback()
        return _job_page(get_or_404(Report, report_id), error=str(exc), status=409)
    db.session.commit()
    flash(_("Status geändert: %(status)s", status=labels.status_label(report.status)))
    return redirect(url_for("staff.job", report_id=report_id))


@bp.route("/jobs/<int:report_id>/merge", methods=["POST"])
def merge(report_id):
    """Link the other open reports of the building to this job as duplicates."""
    report = get_or_404(Report, report_id)
    n = triage.merge_into(report, current_user)
    db.session.commit()
    flash(_("%(n)d Meldungen als Duplikat verknüpft.", n=n))
    return redirect(url_for("staff.job", report_id=report_id))


@bp.route("/jobs/<int:report_id>/removal", methods=["POST"])
def record_removal(report_id):
    """Record a removal (with an optional after-photo); the job becomes 'removed'."""
    report = get_or_404(Report, report_id)
    data = removals.parse_removal(request.form)
    upload = request.files.get("photo")
    photo = upload.read() if upload and upload.filename else None
    try:
        removals.record_removal(report, data, current_user, photo=photo)
    except WorkflowError as exc:
        db.session.rollback()
        return _job_page(get_or_404(Report, report_id), error=str(exc), status=409)
    db.session.commit()
    flash(_("Entfernung gespeichert."))
    return redirect(url_for("staff.job", report_id=report_id))


@bp.route("/photos/<path:name>")
def photo(name):
    """A stored photo (content-addressed file name) for staff pages."""
    from app.services.citizen.photos import is_stored_name

    if not is_stored_name(name):
        abort(404)
    return send_from_directory(current_app.config["UPLOAD_DIR"], name, max_age=86400)


@bp.route("/plans")
def plans():
    """Recent crew plans and the form for a new one."""
    return render_template("staff/plans.html", plans=planning.recent_plans())


@bp.route("/plans/new", methods=["GET", "POST"])
def new_plan():
    """Pick jobs (or take the proposal that fits a shift), preview the order, then save and schedule."""
    s = planning.settings()
    if request.method == "POST" and request.form.get("action") != "preview":
        day = _parse_day(request.form.get("day"))
        ids = planning.parse_ids(request.form.getlist("jobs"))
        plan = planning.create_plan(day, request.form.get("crew", ""), ids, current_user)
        db.session.commit()
        flash(_("Tagesplan gespeichert; %(n)d Aufträge sind eingeplant.", n=len(plan.stops)))
        return redirect(url_for("staff.plan", plan_id=plan.id))
    shift = planning.checked_shift(request.args.get("shift", type=float) or s.shift_hours, "shift")
    proposal = planning.propose(shift) if request.args.get("propose") else None
    chosen = {j.id for j in proposal.jobs} if proposal else set()
    preview = None
    if request.method == "POST":  # "compute the order" of the picked jobs without saving
        preview = planning.build_tour(planning.jobs_by_ids(planning.parse_ids(request.form.getlist("jobs"))))
        chosen = {j.id for j in preview.jobs}
    return render_template("staff/plan_new.html", candidates=planning.candidates(), proposal=proposal or preview,
                           chosen=chosen, settings=s, shift=shift,
                           today=request.form.get("day") or local_today().isoformat(),
                           crew=request.form.get("crew", ""))


def _parse_day(value) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed([("day", _("„%(value)s“ ist kein Datum (YYYY-MM-DD).", value=value))]) from None


@bp.route("/plans/<int:plan_id>", endpoint="plan", defaults={"template": "staff/plan.html"})
@bp.route("/plans/<int:plan_id>/sheet", endpoint="plan_sheet", defaults={"template": "staff/plan_sheet.html"})
def plan_page(plan_id, template):
    """A crew plan: map, stops and exports; or its printable work sheet."""
    p = get_or_404(CrewPlan, plan_id)
    return render_template(template, plan=p, tour=planning.plan_tour(p))


@bp.route("/plans/<int:plan_id>/map")
def plan_map_page(plan_id):
    """The plan as a standalone folium map (numbered stops, route, footprints, priority colours)."""
    p = get_or_404(CrewPlan, plan_id)
    tour = planning.plan_tour(p)
    stops = [{"seq": i, "lat": j.lat, "lon": j.lon, "priority": j.priority, "overdue": j.overdue,
              "title": j.address or _("Auftrag %(id)s", id=j.id),
              "popup": [(_("Auftrag"), f"#{j.id}"), (_("Adresse"), j.address or "–"),
                        (_("Kategorie"), labels.category_label(j.category)), (_("Priorität"), j.priority),
                        (_("Fällig"), j.due_at.strftime("%d.%m.%Y %H:%M") if j.due_at else "–"),
                        (_("Methode"), labels.method_label(j.method)), (_("Fläche"), f"{j.area_m2:.1f} m²"),
                        (_("Beschreibung"), j.description or "–")]}
             for i, j in enumerate(tour.jobs, start=1)]
    city = current_city()
    m = plan_map((p.depot_lat, p.depot_lon), stops, tour.footprints, url_for("static", filename="vendor"),
                 boundary=city.boundary.__geo_interface__, attribution=map_attribution(),
                 labels={"depot": _("Depot"), "route": _("Route"), "buildings": pgettext("count", "Gebäude")})
    return Response(m.get_root().render(), mimetype="text/html")


@bp.route("/plans/<int:plan_id>.csv")
def plan_csv(plan_id):
    """The plan's stops as CSV."""
    p = get_or_404(CrewPlan, plan_id)
    return Response(planning.plan_csv(p, planning.plan_tour(p)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="crew-plan-{p.id}.csv"'})


@bp.route("/plans/<int:plan_id>.gpx")
def plan_gpx(plan_id):
    """The plan as GPX (waypoints and the route)."""
    p = get_or_404(CrewPlan, plan_id)
    return Response(planning.plan_gpx(p, planning.plan_tour(p)), mimetype="application/gpx+xml",
                    headers={"Content-Disposition": f'attachment; filename="crew-plan-{p.id}.gpx"'})


@bp.route("/statistics")
def stats():
    """Monthly figures for the steering committee, with charts."""
    query = statistics.parse_query(request.args)
    return render_template("staff/statistics.html", query=query, table=statistics.monthly(query),
                           totals=statistics.monthly(query, by_district=False), districts=triage.districts())


@bp.route("/statistics.csv")
def stats_csv():
    """The monthly figures per district as CSV."""
    query = statistics.parse_query(request.args)
    return Response(statistics.to_csv(statistics.monthly(query)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="graffiti-statistics.csv"'})

