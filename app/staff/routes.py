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
from werkzeug.datastructures import MultiDict

from app import labels
from app.city import current_city
from app.errors import ValidationFailed, error_response, get_or_404, wants_json
from app.extensions import db
from app.models import CATEGORIES, OWNER_TYPES, REMOVAL_METHODS, STATUSES, Building, CrewPlan, Report
from app.security import html_document, sign_scripts
from app.services.core.attribution import map_attribution
from app.services.core.workdays import city_timezone, local_today
from app.services.core.workflow import TRANSITIONS, WorkflowError
from app.services.staff import exports, owner_letter, planning, removals, statistics, triage
from app.services.staff.job_map import job_map
from app.staff import bp
from app.staff.formatting import format_datetime
from gis.maps_staff import crew_letter, day_map, plan_map


@bp.route("/")
def index():
    """Staff start page: counts and the overview map (data is loaded per visible area from the API)."""
    map_labels = {"job": _("Auftrag"), "open": _("Details öffnen"), "overdue": _("überfällig"), "due": _("fällig"),
                  "reports": _("Aufträge"), "zoom": _("Hineinzoomen für Einzelaufträge"), "status": _("Status"),
                  "statuses": labels.names(labels.STATUS), "categories": labels.names(labels.CATEGORY)}
    return render_template("staff/index.html", summary=triage.summary(), map_labels=map_labels,
                           timezone=city_timezone().key)  # the map's due times in the city's time zone


@bp.route("/queue")
def queue():
    """The triage queue: filters, search, sorting, thumbnails, bulk actions; bad filters shown at their field."""
    try:
        return _queue_page(triage.parse_filters(request.args, current_user))
    except ValidationFailed as exc:
        if wants_json():
            return error_response(exc.errors, exc.status)
        return _queue_page(triage.parse_filters(MultiDict(), current_user), _failed("filters", exc.errors), exc.status)


def _queue_page(filters, failed=None, status=200):
    jobs, total = triage.job_queue(filters)
    return render_template("staff/queue.html", jobs=jobs, total=total, filters=filters, statuses=STATUSES,
                           categories=CATEGORIES, owner_types=OWNER_TYPES, districts=triage.districts(),
                           sorts=triage.SORTS, users=triage.staff_users(), now=datetime.now(UTC), failed=failed,
                           reject_replies=labels.PUBLIC_REPLY_FOR["rejected"]), status


@bp.route("/queue/bulk", methods=["POST"])
def queue_bulk():
    """One action for the chosen jobs (verify, reject with a message, assign; "plan" opens the plan builder
    with them); refused: the queue again with the message and the choice kept, nothing changed."""
    form = request.form
    action = form.get("action", "")
    try:
        ids = planning.parse_ids(form.getlist("jobs"))
        if action == "plan" and ids:
            return redirect(url_for("staff.new_plan", jobs=ids))
        n = triage.bulk_apply(ids, action, current_user, public_reply=form.get("public_reply"),
                              public_message=form.get("public_message"), assignee=form.get("assignee"))
    except ValidationFailed as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.errors, exc.status)
        return _queue_page(triage.parse_filters(request.args, current_user), _failed("bulk", exc.errors), exc.status)
    db.session.commit()
    flash(_("%(n)d Aufträge geändert.", n=n))
    return redirect(url_for("staff.queue", **request.args))


def _failed(form_key, errors):
    """A refused form for the templates (staff/_fields.html): its messages by field, and what was typed."""
    by_field = {}
    for field, message in errors:
        by_field.setdefault(field, message)
    values = request.form if request.method == "POST" else request.args
    return {"form": form_key, "errors": by_field, "messages": [m for _f, m in errors], "first": errors[0][0],
            "values": values, "photo": bool(request.files.get("photo") and request.files["photo"].filename)}


def _job_page(report, status=200, failed=None):
    """The job page; `failed` is a form that was refused ({"form", "errors", "values"}), shown again as typed."""
    removal_rows = triage.removals_of(report)
    return render_template(
        "staff/job.html", report=report, target=triage.target_of(report), linked=triage.linked_reports(report),
        history=triage.history(report), removals=removal_rows,
        photos=removals.after_photos([r.id for r in removal_rows]), allowed=sorted(TRANSITIONS[report.status]),
        methods=REMOVAL_METHODS, now=datetime.now(UTC), today=local_today().isoformat(),
        reply_codes=labels.PUBLIC_REPLY_FOR, steps=triage.next_steps(report), failed=failed,
        letter=owner_letter.letter_event(report),
        map_data=job_map(report), map_labels={"job": _("Auftrag"), "here": _("Meldeort"), "overdue": _("überfällig"),
                                              "statuses": labels.names(labels.STATUS)},
    ), status


def _refused(report_id, form_key, exc):
    """A refused job form: the same job page again (400/409) with the messages at their fields and everything
    typed kept; API clients that asked for JSON get the JSON errors."""
    db.session.rollback()
    errors = exc.errors if isinstance(exc, ValidationFailed) else [(None, str(exc))]
    status = exc.status if isinstance(exc, ValidationFailed) else 409
    if wants_json():
        return error_response(errors, status)
    failed = _failed(form_key, errors)
    return _job_page(get_or_404(Report, report_id), status=status, failed=failed)


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
        triage.change_job_status(report, form.get("to", ""), current_user, note=form.get("note"),
                                 duplicate_of=form.get("duplicate_of"),
                                 est_area=form.get("est_area_m2"), est_method=form.get("est_method"),
                                 public_reply=form.get("public_reply"), public_message=form.get("public_message"))
    except (WorkflowError, ValidationFailed) as exc:
        return _refused(report_id, "status", exc)
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
    try:
        data = removals.parse_removal(request.form)
        upload = request.files.get("photo")
        removals.record_removal(report, data, current_user, photo=upload.read() if upload and upload.filename else None)
    except (WorkflowError, ValidationFailed) as exc:
        return _refused(report_id, "removal", exc)
    db.session.commit()
    flash(_("Entfernung gespeichert."))
    return redirect(url_for("staff.job", report_id=report_id))


@bp.route("/buildings/<int:building_id>/owner", methods=["POST"])
def owner_contact(building_id):
    """Store how to reach the owner of a building; refused: the job page again with the fields as typed."""
    building = get_or_404(Building, building_id)
    job_id = request.form.get("job", type=int)
    try:
        owner_letter.save_owner_contact(building, request.form)
    except ValidationFailed as exc:
        if job_id:
            return _refused(job_id, "owner", exc)
        raise
    db.session.commit()
    flash(_("Kontaktdaten des Eigentümers gespeichert."))
    return redirect(url_for("staff.job", report_id=job_id) if job_id else url_for("staff.queue"))


@bp.route("/jobs/<int:report_id>/owner-letter", methods=["POST"])
def owner_letter_create(report_id):
    """Notify the owner: the job becomes 'notify owner' (letter and deadline in the history); then the PDF."""
    report = get_or_404(Report, report_id)
    try:
        owner_letter.notify_owner(report, current_user)
    except (WorkflowError, ValidationFailed) as exc:
        return _refused(report_id, "owner", exc)
    db.session.commit()
    flash(_("Schreiben an den Eigentümer erstellt."))
    return redirect(url_for("staff.job", report_id=report_id))


@bp.route("/jobs/<int:report_id>/owner-letter.pdf")
def owner_letter_pdf(report_id):
    """The letter to the owner (PDF, German)."""
    report = get_or_404(Report, report_id)
    return Response(owner_letter.letter_pdf(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="schreiben-eigentuemer-{report.id}.pdf"'})


@bp.route("/photos/<path:name>")
def photo(name):
    """A stored photo (content-addressed file name) for staff pages."""
    from app.services.citizen.photos import is_stored_name

    if not is_stored_name(name):
        abort(404)
    return send_from_directory(current_app.config["UPLOAD_DIR"], name, max_age=86400)


@bp.route("/plans")
def plans():
    """Recent crew plans; with `day`, that day's plans of all crews on one map."""
    day = _parse_day(request.args["day"]) if request.args.get("day") else None
    day_plan = map_html = None
    if day:
        s = planning.settings()
        tours = [planning.plan_tour(p) for p in planning.plans_of_day(day)]
        day_plan = planning.DayPlan(day, tours, [], tours[0].distances if tours else planning.STRAIGHT)
        map_html = _day_map_html(s, [t.crew for t in tours], day_plan, [], set())
    return render_template("staff/plans.html", plans=planning.recent_plans(), day=day, day_plan=day_plan,
                           map_html=map_html, crew_letter=crew_letter)


@bp.route("/plans/new", methods=["GET", "POST"])
def new_plan():
    """Candidates on a map and in a table (filtered by district and category); a proposal for several crews
    or the order of the picked jobs; save: one plan per crew, every job in it scheduled. Bad input: the same
    page again (400) with the message at its field and everything typed kept."""
    s = planning.settings()
    args = request.values
    district = args.get("district", type=int)
    category = args.get("category") if args.get("category") in CATEGORIES else None
    n_crews = min(max(args.get("crews", type=int) or 1, 1), planning.MAX_CREWS)
    try:
        shift = planning.checked_shift(args.get("shift", type=float) or s.shift_hours, "shift")
        day = _parse_day(args.get("day")) if args.get("day") else local_today()
        named = request.method == "POST" or any(n.strip() for n in args.getlist("crew"))
        crews = planning.parse_crews(args.getlist("crew"), args.getlist("depot"), s) if named else \
            planning.default_crews(n_crews, s)
        if request.method == "POST" and request.form.get("action") != "preview":
            ids = planning.parse_ids(request.form.getlist("jobs"))
            same = request.form.get("route_key") == planning.route_key(day, shift, crews)
            shown = planning.parse_routes(request.form.getlist("route"), ids, len(crews)) if same else None
            plans, day_plan = planning.create_plans(day, crews, ids, current_user, shift, shown)
            db.session.commit()
            flash(_("Tagesplan gespeichert; %(n)d Aufträge sind eingeplant.", n=sum(len(p.stops) for p in plans)))
            if day_plan.dropped:
                flash(_("Nicht eingeplant (passen nicht in den Tag): %(ids)s",
                        ids=", ".join(f"#{j.id}" for j, _reason in day_plan.dropped)))
            if len(plans) == 1:
                return redirect(url_for("staff.plan", plan_id=plans[0].id))
            return redirect(url_for("staff.plans", day=day.isoformat()))
        proposal = None
        if request.method == "POST":  # "compute the order" of the picked jobs without saving
            proposal = planning.plan_picked(day, crews, planning.parse_ids(request.form.getlist("jobs")), shift)
        elif args.get("propose"):
            proposal = planning.propose(shift, crews, day, district, category, s)
    except ValidationFailed as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.errors, exc.status)
        return _plan_form_again(s, exc, district, category)
    jobs = planning.candidates(district=district, category=category)
    # without a proposal: the jobs the queue sent ("add to a plan")
    chosen = {j.id for j in proposal.jobs} if proposal else {int(v) for v in args.getlist("jobs") if v.isdigit()}
    return render_template("staff/plan_new.html", candidates=jobs, proposal=proposal, chosen=chosen, settings=s,
                           shift=shift, today=day.isoformat(), crews=crews, n_crews=len(crews),
                           districts=triage.districts(), categories=CATEGORIES, district=district,
                           category=category, crew_letter=crew_letter, failed=None,
                           route_key=planning.route_key(day, shift, crews),
                           map_html=_day_map_html(s, crews, proposal, jobs, chosen))


def _plan_form_again(s, exc, district, category):
    """The planning page with a refused form: crews, day, shift and picked jobs as typed, messages at fields."""
    args = request.values
    names, depots = args.getlist("crew"), args.getlist("depot")
    crews = []
    for i, name in enumerate(names or [""]):
        pick = depots[i] if i < len(depots) else "0"
        depot = s.depots[int(pick)] if pick.isdigit() and int(pick) < len(s.depots) else s.depots[0]
        crews.append(planning.Crew(name, depot))
    by_field = {}
    for field, message in exc.errors:
        by_field.setdefault(field, message)
    failed = {"form": "plan", "errors": by_field, "messages": [m for _f, m in exc.errors], "first": exc.errors[0][0],
              "values": args, "photo": False}
    chosen = {int(v) for v in args.getlist("jobs") if v.isdigit()}
    jobs = planning.candidates(district=district, category=category)
    return render_template("staff/plan_new.html", candidates=jobs, proposal=None, chosen=chosen, settings=s,
                           shift=args.get("shift") or s.shift_hours, today=args.get("day") or "", crews=crews,
                           n_crews=len(crews), districts=triage.districts(), categories=CATEGORIES,
                           district=district, category=category, crew_letter=crew_letter, failed=failed,
                           map_html=_day_map_html(s, crews, None, jobs, set())), exc.status


def _stop_popup(j) -> list:
    return [(_("Auftrag"), f"#{j.id}"), (_("Adresse"), j.address or "–"),
            (_("Kategorie"), labels.category_label(j.category)), (_("Priorität"), j.priority),
            (_("Fällig"), format_datetime(j.due_at)), (_("Methode"), labels.method_label(j.method)),
            (_("Fläche"), f"{j.area_m2:.1f} m²"), (_("Beschreibung"), j.description or "–")]


def _map_labels() -> dict:
    return {"depot": _("Depot"), "route": _("Route"), "buildings": pgettext("count", "Gebäude")}


def _day_map_html(s, crews, proposal, jobs, chosen) -> str:
    """The planning map: depots, the proposal's routes with numbered stops, the other candidates as dots."""
    depots = list(dict.fromkeys([c.depot for c in crews] + list(s.depots)))
    tours = []
    for t in proposal.tours if proposal else []:
        stops = [{"seq": i, "lat": j.lat, "lon": j.lon, "priority": j.priority, "overdue": j.overdue,
                  "title": j.address or _("Auftrag %(id)s", id=j.id), "popup": _stop_popup(j)}
                 for i, j in enumerate(t.jobs, start=1)]
        tours.append({"crew": t.crew.name, "depot": depots.index(t.crew.depot), "path": planning.route_path(t),
                      "stops": stops})
    others = [{"lat": j.lat, "lon": j.lon, "title": f"#{j.id} {j.address or ''}", "popup": _stop_popup(j)}
              for j in jobs if j.id not in chosen]
    city = current_city()
    m = day_map([{"name": d.name, "lat": d.lat, "lon": d.lon} for d in depots], tours,
                url_for("static", filename="vendor"), candidates=others, boundary=city.boundary.__geo_interface__,
                attribution=map_attribution(), labels=_map_labels())
    return sign_scripts(m.get_root().render())


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
              "title": j.address or _("Auftrag %(id)s", id=j.id), "popup": _stop_popup(j)}
             for i, j in enumerate(tour.jobs, start=1)]
    city = current_city()
    m = plan_map((p.depot_lat, p.depot_lon), stops, tour.footprints, url_for("static", filename="vendor"),
                 boundary=city.boundary.__geo_interface__, attribution=map_attribution(), labels=_map_labels(),
                 path=planning.route_path(tour), depot_name=tour.crew.depot.name)
    return html_document(m.get_root().render())


@bp.route("/plans/<int:plan_id>.csv")
def plan_csv(plan_id):
    """The plan's stops as CSV: for spreadsheets in the reader's language, or machine-readable (?format=csv)."""
    p = get_or_404(CrewPlan, plan_id)
    headers = {"Content-Disposition": f'attachment; filename="crew-plan-{p.id}.csv"'}
    body, content_type = planning.plan_spreadsheet(p, planning.plan_tour(p), exports.wanted_format(request.args))
    return Response(body, content_type=content_type, headers=headers)


@bp.route("/plans/<int:plan_id>.gpx")
def plan_gpx(plan_id):
    """The plan as GPX (waypoints and the route)."""
    p = get_or_404(CrewPlan, plan_id)
    return Response(planning.plan_gpx(p, planning.plan_tour(p)), mimetype="application/gpx+xml",
                    headers={"Content-Disposition": f'attachment; filename="crew-plan-{p.id}.gpx"'})


@bp.route("/statistics")
def stats():
    """Monthly figures for the steering committee, with charts."""
    failed = None
    try:
        query = statistics.parse_query(request.args)
    except ValidationFailed as exc:   # the default months again, the message at the field, the input kept
        query, failed = statistics.parse_query(MultiDict()), _failed("stats", exc.errors)
    totals = statistics.monthly(query, by_district=False)
    last_year = statistics.by_month(statistics.monthly(statistics.previous_year(query), by_district=False))
    previous = {r.month: last_year.get((r.month.month, r.month.year - 1)) for r in totals}
    return render_template("staff/statistics.html", query=query, totals=totals, previous=previous,
                           district_rows=statistics.district_summary(statistics.monthly(query)),
                           target_pct=statistics.TARGET_WITHIN_PCT, districts=triage.districts(),
                           failed=failed), 400 if failed else 200


@bp.route("/statistics.csv")
def stats_csv():
    """The monthly figures per district as CSV."""
    query = statistics.parse_query(request.args)
    body, content_type = statistics.to_csv(statistics.monthly(query), exports.wanted_format(request.args))
    return Response(body, content_type=content_type,
                    headers={"Content-Disposition": 'attachment; filename="graffiti-statistics.csv"'})

