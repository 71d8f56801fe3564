"""Staff API: overview map data for the visible area, job queue, crew-day proposals."""
from flask import jsonify, request

from app.api import bp
from app.auth.roles import role_required
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
    filters = triage.parse_filters(request.args)
    jobs, total = triage.job_queue(filters)
    return jsonify({"total": total, "page": filters.page, "jobs": [{
        "id": j.id, "category": j.category, "status": j.status, "priority": j.priority, "offensive": j.offensive,
        "retagged": j.retagged, "created_at": j.created_at.isoformat(),
        "due_at": j.due_at.isoformat() if j.due_at else None, "overdue": j.overdue, "address": j.address,
        "owner_type": j.owner_type, "district": j.district, "linked": j.linked} for j in jobs]})


@bp.route("/staff/plan-proposal")
@role_required("staff")
def staff_plan_proposal():
    """The most urgent jobs that fit a shift (hours=, default from configuration), in visiting order."""
    day_plan = planning.propose(planning.checked_shift(request.args.get("hours", type=float)))
    tour = day_plan.tours[0]
    return jsonify({
        "depot": {"lat": tour.crew.depot.lat, "lon": tour.crew.depot.lon}, "distances": day_plan.distances,
        "distance_m": round(tour.distance_m), "drive_min": round(tour.drive_min, 1),
        "work_min": round(tour.work_min, 1), "total_min": round(tour.total_min, 1),
        "stops": [{"seq": i, "id": j.id, "lat": j.lat, "lon": j.lon, "priority": j.priority, "address": j.address,
                   "work_min": round(j.work_min, 1)} for i, j in enumerate(tour.jobs, start=1)],
    })
