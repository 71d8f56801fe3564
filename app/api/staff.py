"""Staff API: overview map data for the visible area, job queue, crew-day proposals."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import bp
from app.auth.roles import role_required
from app.errors import ValidationFailed
from app.services.staff import overview, planning, triage


@bp.route("/staff/map")
@role_required("staff")
def staff_map():
    """Open jobs in bbox=west,south,east,north at zoom: grid clusters, or single jobs and footprints zoomed in."""
    view = overview.parse_view(request.args)
    resp = jsonify(overview.map_data(view))
    resp.headers["Cache-Control"] = "private, max-age=15"
    return resp


@bp.route("/staff/jobs")
@role_required("staff")
def staff_jobs():
    """The triage queue as JSON (same filters as the queue page)."""
    filters = triage.parse_filters(request.args, current_user)
    jobs, total = triage.job_queue(filters)
    return jsonify({"total": total, "page": filters.page, "jobs": [{
        "id": j.id, "category": j.category, "status": j.status, "priority": j.priority, "offensive": j.offensive,
        "retagged": j.retagged, "created_at": j.created_at.isoformat(),
        "due_at": j.due_at.isoformat() if j.due_at else None, "overdue": j.overdue, "address": j.address,
        "owner_type": j.owner_type, "district": j.district, "linked": j.linked, "assignee": j.assignee}
        for j in jobs]})


@bp.route("/staff/plan-proposal")
@role_required("staff")
def staff_plan_proposal():
    """The most urgent jobs that fit a shift (hours=, default from configuration) for `crews` crews (1-6, from
    the depots in turn), in visiting order; the top level is the first crew's day."""
    crews = request.args.get("crews", "1")
    if not crews.isdigit() or not 1 <= int(crews) <= planning.MAX_CREWS:
        raise ValidationFailed([("crews", _("Zwischen 1 und %(n)d Trupps.", n=planning.MAX_CREWS))])
    day_plan = planning.propose(planning.checked_shift(request.args.get("hours", type=float)),
                                planning.default_crews(int(crews)))

    def crew_day(tour):
        return {
            "crew": tour.crew.name, "depot": {"name": tour.crew.depot.name, "lat": tour.crew.depot.lat,
                                              "lon": tour.crew.depot.lon},
            "distance_m": round(tour.distance_m), "drive_min": round(tour.drive_min, 1),
            "work_min": round(tour.work_min, 1), "total_min": round(tour.total_min, 1),
            "stops": [{"seq": i, "id": j.id, "lat": j.lat, "lon": j.lon, "priority": j.priority,
                       "address": j.address, "work_min": round(j.work_min, 1), "start": start.isoformat()}
                      for i, (j, start) in enumerate(zip(tour.jobs, tour.starts, strict=True), start=1)]}

    days = [crew_day(t) for t in day_plan.tours]
    return jsonify({**days[0], "distances": day_plan.distances, "crews": days,
                    "deadline_missed": [j.id for j, reason in day_plan.dropped if reason == "deadline"]})
