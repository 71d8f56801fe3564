"""Triage: the job queue (one job per building), job details and status changes with staff rules."""
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on

from app import labels
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    CATEGORIES,
    OPEN_STATUSES,
    OWNER_TYPES,
    REMOVAL_METHODS,
    STATUSES,
    Building,
    District,
    Photo,
    Removal,
    Report,
    StatusEvent,
    User,
)
from app.services.core import workflow
from app.services.core.sla import removal_target, targets_from_config

log = logging.getLogger(__name__)
MESSAGE_REQUIRED = ("rejected",)  # status changes that must tell the citizen why


@dataclass
class QueueFilters:
    """What the triage queue shows."""

    statuses: tuple[str, ...] = OPEN_STATUSES
    category: str | None = None
    owner_type: str | None = None
    district_id: int | None = None
    min_age_days: int | None = None
    overdue: bool = False
    retagged: bool = False
    max_priority: int | None = None
    search: str | None = None
    assignee: int | str | None = None   # a user id, or "none" for jobs no one has
    sort: str = "priority"
    page: int = 1
    per_page: int = 50


@dataclass
class JobRow:
    """One job of the queue: the leading report of a building and how many reports are linked to it."""

    id: int
    category: str
    status: str
    priority: int
    offensive: bool
    retagged: bool
    created_at: datetime
    due_at: datetime | None
    address: str | None
    owner_type: str | None
    district: str | None
    building_id: int | None
    linked: int
    overdue: bool = field(default=False)
    assignee: str | None = None
    thumb: str | None = None


MAX_ID = 2**31 - 1  # the database's integer ids (a larger one would fail in the query, not find nothing)
MAX_PAGE = 100_000  # far beyond any queue; keeps the offset in range


def _int(value, name, minimum=0, maximum=None):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed([(name, _("„%(value)s“ ist keine ganze Zahl.", value=value))]) from None
    if number < minimum or (maximum is not None and number > maximum):
        raise ValidationFailed([(name, _("%(field)s muss mindestens %(low)s sein.", field=name, low=minimum)
                                 if maximum is None else
                                 _("%(field)s muss zwischen %(low)s und %(high)s liegen.", field=name, low=minimum,
                                   high=maximum))])
    return number


SORTS = ("priority", "due", "age", "district")


def parse_filters(args, user=None) -> QueueFilters:
    """Queue filters from query arguments (`assignee=me` means `user`); unknown values get a 400 that says what is
    allowed."""
    f = QueueFilters()
    statuses = [s for s in args.getlist("status") if s]
    if statuses == ["open"] or not statuses:
        statuses = list(OPEN_STATUSES)
    elif statuses == ["all"]:
        statuses = list(STATUSES)
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ValidationFailed([("status", _("Unbekannter Status „%(value)s“. Erlaubt: %(allowed)s.", value=bad[0],
                                             allowed=", ".join(("open", "all", *STATUSES))))])
    f.statuses = tuple(statuses)
    for name, allowed in (("category", CATEGORIES), ("owner_type", OWNER_TYPES)):
        value = args.get(name) or None
        if value is not None and value not in allowed:
            raise ValidationFailed([(name, _("Unbekannter Wert „%(value)s“ für %(name)s. Erlaubt: %(allowed)s.",
                                             value=value, name=name, allowed=", ".join(allowed)))])
        setattr(f, name, value)
    f.district_id = _int(args.get("district"), "district", 1, MAX_ID)
    f.min_age_days = _int(args.get("min_age"), "min_age", 0, 3650)
    f.overdue = args.get("overdue") in ("1", "true", "on")
    f.retagged = args.get("retagged") in ("1", "true", "on")
    f.max_priority = _int(args.get("max_priority"), "max_priority", 1, 4)
    f.search = (args.get("q") or "").strip()[:200] or None
    assignee = args.get("assignee") or None
    if assignee == "me":
        f.assignee = getattr(user, "id", None)
    elif assignee == "none":
        f.assignee = "none"
    else:
        f.assignee = _int(assignee, "assignee", 1, MAX_ID)
    f.sort = args.get("sort") or "priority"
    if f.sort not in SORTS:
        raise ValidationFailed([("sort", _("Unbekannte Sortierung „%(value)s“. Erlaubt: %(allowed)s.", value=f.sort,
                                           allowed=", ".join(SORTS)))])
    f.page = _int(args.get("page"), "page", 1, MAX_PAGE) or 1
    f.per_page = _int(args.get("per_page"), "per_page", 1, 500) or 50
    return f


def _job_subquery(statuses):
    """Reports of the given statuses that are no duplicates, ranked per building (1 = the job), with the
    columns the queue filters and sorts on."""
    group = func.coalesce(Report.building_id, -Report.id)
    return select(
        Report.id, Report.building_id, Report.status, Report.priority, Report.due_at, Report.category,
        Report.district_id, Report.created_at, Report.retagged, Report.address, Report.assignee_id,
        func.row_number().over(partition_by=group, order_by=(
            Report.priority, Report.due_at.asc().nulls_last(), Report.created_at, Report.id)).label("rank"),
        (func.count().over(partition_by=group) - 1).label("siblings"),
    ).where(Report.status.in_(statuses), Report.duplicate_of_id.is_(None)).subquery()


def job_queue(filters: QueueFilters, now: datetime | None = None) -> tuple[list[JobRow], int]:
    """The jobs matching `filters`, overdue and most urgent first, and their total count.

    The page is chosen on the ranked reports' own columns first (with the total in the same pass), and only
    its rows are joined to report, building, district and duplicates: the queue stays quick with many jobs.
    """
    now = now or datetime.now(UTC)
    jobs = _job_subquery(filters.statuses)
    overdue = and_(jobs.c.due_at < now, jobs.c.status.in_(OPEN_STATUSES))
    conditions = [jobs.c.rank == 1]
    if filters.category:
        conditions.append(jobs.c.category == filters.category)
    if filters.owner_type:
        conditions.append(jobs.c.building_id.in_(
            select(Building.id).where(Building.owner_type == filters.owner_type)))
    if filters.district_id:
        conditions.append(jobs.c.district_id == filters.district_id)
    if filters.min_age_days is not None:
        conditions.append(jobs.c.created_at <= now - timedelta(days=filters.min_age_days))
    if filters.overdue:
        conditions.append(overdue)
    if filters.retagged:
        conditions.append(jobs.c.retagged.is_(True))
    if filters.max_priority is not None:
        conditions.append(jobs.c.priority <= filters.max_priority)
    if filters.assignee == "none":
        conditions.append(jobs.c.assignee_id.is_(None))
    elif filters.assignee is not None:
        conditions.append(jobs.c.assignee_id == filters.assignee)
    if filters.search:
        conditions.append(_search(jobs, filters.search))
    district_name = select(District.name).where(District.id == jobs.c.district_id).scalar_subquery()
    due = jobs.c.due_at.asc().nulls_last()
    order = {"priority": (overdue.desc(), jobs.c.priority, due, jobs.c.id),
             "due": (due, jobs.c.priority, jobs.c.id),
             "age": (jobs.c.created_at, jobs.c.id),
             "district": (district_name.asc().nulls_last(), jobs.c.priority, due, jobs.c.id)}[filters.sort]
    page = (select(jobs.c.id, jobs.c.siblings, overdue.label("overdue"), func.count().over().label("total"),
                   func.row_number().over(order_by=order).label("position"))
            .where(*conditions).order_by(*order)
            .limit(filters.per_page).offset((filters.page - 1) * filters.per_page).subquery())
    dups = (select(func.count()).select_from(Report).where(Report.duplicate_of_id == page.c.id)
            .correlate(page).scalar_subquery())
    rows = db.session.execute(
        select(Report, Building.address.label("b_address"), Building.owner_type, District.name,
               (page.c.siblings + dups).label("linked"), page.c.overdue, page.c.total,
               func.coalesce(User.display_name, User.email).label("assignee"))
        .join(page, page.c.id == Report.id)
        .outerjoin(Building, Building.id == Report.building_id)
        .outerjoin(District, District.id == Report.district_id)
        .outerjoin(User, User.id == Report.assignee_id)
        .order_by(page.c.position)).all()
    if rows:
        total = rows[0].total
    else:  # a page past the end: count on its own
        total = db.session.scalar(select(func.count()).select_from(jobs).where(*conditions))
    result = [JobRow(
        id=r.id, category=r.category, status=r.status, priority=r.priority, offensive=r.offensive,
        retagged=r.retagged, created_at=r.created_at, due_at=r.due_at, address=b_address or r.address,
        owner_type=owner_type, district=district, building_id=r.building_id, linked=int(linked or 0),
        overdue=bool(is_overdue), assignee=assignee)
        for r, b_address, owner_type, district, linked, is_overdue, _, assignee in rows]
    thumbs = _thumbnails([j.id for j in result])
    for j in result:
        j.thumb = thumbs.get(j.id)
    return result, int(total or 0)


def _search(jobs, text: str):
    """Jobs whose number is `text` (with or without "#") or whose address (the building's or the report's)
    contains it."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    by_address = or_(jobs.c.address.ilike(pattern), jobs.c.building_id.in_(
        select(Building.id).where(Building.address.ilike(pattern))))
    number = text.lstrip("#").strip()
    if number.isdigit() and int(number) <= MAX_ID:
        return or_(jobs.c.id == int(number), by_address)
    return by_address


def _thumbnails(report_ids) -> dict[int, str]:
    """The first photo's thumbnail file of each report."""
    if not report_ids:
        return {}
    rows = db.session.execute(select(Photo.report_id, Photo.thumb_filename)
                              .where(Photo.report_id.in_(report_ids))
                              .ext(distinct_on(Photo.report_id)).order_by(Photo.report_id, Photo.id))
    return dict(rows.all())


def summary(now: datetime | None = None) -> dict:
    """Counts for the staff start page: open jobs (buildings), urgent ones, overdue ones, unchecked ones."""
    now = now or datetime.now(UTC)
    job = func.coalesce(Report.building_id, -Report.id)
    row = db.session.execute(select(
        func.count(job.distinct()),
        func.count(job.distinct()).filter(Report.priority <= 2),
        func.count(job.distinct()).filter(Report.due_at < now),
        func.count(job.distinct()).filter(Report.status == "new"),
    ).where(Report.status.in_(OPEN_STATUSES), Report.duplicate_of_id.is_(None))).one()
    return {"open": row[0], "urgent": row[1], "overdue": row[2], "new": row[3]}


def districts() -> list[tuple[int, str]]:
    """All districts (id, name) for filters."""
    return list(db.session.execute(select(District.id, District.name).order_by(District.name)).all())


def linked_reports(report: Report) -> list[Report]:
    """The reports linked to this job: its duplicates and other open reports on the same building."""
    cond = Report.duplicate_of_id == report.id
    if report.building_id is not None:
        cond = or_(cond, and_(Report.building_id == report.building_id, Report.id != report.id,
                              Report.status.in_(OPEN_STATUSES), Report.duplicate_of_id.is_(None)))
    return list(db.session.scalars(select(Report).where(cond).order_by(Report.created_at)))


def history(report: Report) -> list[tuple[StatusEvent, str | None]]:
    """The audit trail of a report, oldest first, with the acting user's e-mail."""
    return list(db.session.execute(
        select(StatusEvent, User.email).outerjoin(User, User.id == StatusEvent.user_id)
        .where(StatusEvent.report_id == report.id).order_by(StatusEvent.created_at, StatusEvent.id)).all())


def removals_of(report: Report) -> list[Removal]:
    """The removal records of a report."""
    return list(db.session.scalars(select(Removal).where(Removal.report_id == report.id).order_by(Removal.id)))


def target_of(report: Report):
    """The removal target (priority, due time, crew job or notify owner) of a report."""
    owner = report.building.owner_type if report.building is not None else None
    return removal_target(report.created_at, report.offensive, owner, targets_from_config(current_app.config))


def refresh_target(report: Report) -> None:
    """Store the priority and due time that the current rules give the report."""
    target = target_of(report)
    report.priority, report.due_at = target.priority, target.due_at


def parse_estimate(area, method) -> tuple[Decimal | None, str | None]:
    """The staff's estimate of area (m²) and method for planning; empty values stay unknown."""
    errors = []
    value = None
    if area not in (None, ""):
        try:
            value = Decimal(str(area).replace(",", "."))
            if not value.is_finite() or value < 0 or value > 10000:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(("est_area_m2", _("Die Fläche muss eine Zahl zwischen 0 und 10000 Quadratmetern sein.")))
    method = method or None
    if method is not None and method not in REMOVAL_METHODS:
        errors.append(("est_method", _("Unbekannte Methode „%(value)s“. Erlaubt: %(allowed)s.", value=method,
                                       allowed=", ".join(REMOVAL_METHODS))))
    if errors:
        raise ValidationFailed(errors)
    return value, method


# The job page offers the allowed next statuses in the order work goes: check, plan (or ask the owner), finish,
# and only then the ways out (reopen, reject, duplicate). "removed" comes from the removal form.
WORKFLOW_ORDER = ("verified", "scheduled", "notify_owner", "closed", "new", "rejected", "duplicate")


def next_steps(report: Report) -> list[str]:
    """The statuses this job may move to from the job page, the usual next step first (for a private building
    notifying the owner comes before scheduling a crew)."""
    order = list(WORKFLOW_ORDER)
    if report.status == "verified" and not target_of(report).crew_job:
        order.remove("notify_owner")
        order.insert(order.index("scheduled"), "notify_owner")
    allowed = workflow.TRANSITIONS[report.status]
    return [s for s in order if s in allowed]


def _original_of(report: Report, value) -> int:
    """The number of the report that `report` repeats, checked: it exists, is another one and no duplicate."""
    text = str(value if value is not None else "").strip().lstrip("#")
    if not text:
        raise ValidationFailed([("duplicate_of", _("Bitte angeben, von welcher Meldung diese ein Duplikat ist."))])
    if not text.isdigit() or len(text) > 12:
        raise ValidationFailed([("duplicate_of", _("„%(value)s“ ist keine Auftragsnummer.", value=value))])
    original = db.session.get(Report, int(text))
    if original is None:
        raise ValidationFailed([("duplicate_of", _("Es gibt keine Meldung Nr. %(id)s.", id=text))])
    if original.id == report.id or original.duplicate_of_id is not None:
        raise ValidationFailed([("duplicate_of", _("Meldung %(id)s kann nicht das Original dieser Meldung sein.",
                                                   id=text))])
    return original.id


def change_job_status(report: Report, to_status: str, user, note: str | None = None,
                      duplicate_of: int | str | None = None, est_area=None, est_method=None,
                      at: datetime | None = None, public_reply: str | None = None, public_message: str | None = None):
    """Apply a staff status change with the area's rules (a rejection tells the citizen why); refused changes
    raise WorkflowError/ValidationFailed."""
    if to_status not in STATUSES:
        raise ValidationFailed([("to", _("Unbekannter Status „%(value)s“.", value=to_status))])
    note = (note or "").strip()[:2000] or None
    public_reply, public_message = workflow.checked_public_message(public_reply, public_message)
    if public_reply and public_reply not in labels.PUBLIC_REPLY_FOR.get(to_status, ()):
        raise ValidationFailed([("public_reply", _("Die Standardantwort „%(reply)s“ passt nicht zu „%(action)s“.",
                                                   reply=labels.label(labels.PUBLIC_REPLY, public_reply),
                                                   action=labels.label(labels.ACTION, to_status)))])
    if to_status in MESSAGE_REQUIRED and not (public_reply or public_message):
        raise ValidationFailed([("public_message", _(
            "Bitte dem Bürger sagen, warum: eine Standardantwort wählen oder eine Nachricht schreiben."))])
    if to_status == "duplicate":
        duplicate_of = _original_of(report, duplicate_of)
    if to_status == "scheduled" and report.status == "verified" and not target_of(report).crew_job:
        raise workflow.WorkflowError(_(
            "Diese Meldung betrifft ein privates Gebäude: zuerst den Eigentümer benachrichtigen (Status "
            "„%(status)s“); ein Trupp wird nur eingeplant, wenn der Eigentümer nicht handelt.",
            status=labels.status_label("notify_owner")))
    area, method = parse_estimate(est_area, est_method)
    event = workflow.change_status(report, to_status, user, note, at=at, public_reply=public_reply,
                                   public_message=public_message)
    if to_status == "duplicate":
        report.duplicate_of_id = duplicate_of
    elif to_status == "new":
        report.duplicate_of_id = None
    if to_status == "verified":
        refresh_target(report)
        if area is not None:
            report.est_area_m2 = area
        if method is not None:
            report.est_method = method
    db.session.flush()
    log.info("report %s: %s -> %s by %s", report.id, event.from_status, to_status, getattr(user, "email", None))
    return event


def merge_into(job: Report, user) -> int:
    """Mark the other new/verified reports on the job's building as duplicates of it; returns how many."""
    merged = 0
    for other in linked_reports(job):
        if other.duplicate_of_id is None and other.status in ("new", "verified"):
            change_job_status(other, "duplicate", user, note=f"Same building as job #{job.id}", duplicate_of=job.id)
            merged += 1
    return merged


BULK_ACTIONS = ("verified", "rejected", "assign", "plan")


def staff_users() -> list[tuple[int, str]]:
    """Active staff and admin accounts (id, name or e-mail) a job can be assigned to."""
    return [(u.id, u.display_name or u.email) for u in db.session.scalars(
        select(User).where(User.role.in_(("staff", "admin")), User.active.is_(True)).order_by(User.email))]


def assign_jobs(reports, assignee, user) -> None:
    """Assign the jobs to a staff member (`assignee`: a user id, or empty for no one)."""
    target = None
    if assignee not in (None, "", "none"):
        ident = str(assignee).strip()
        target = db.session.get(User, int(ident)) if ident.isdigit() and int(ident) <= MAX_ID else None
        if target is None or target.role not in ("staff", "admin") or not target.active:
            raise ValidationFailed([("assignee", _("Diesem Konto kann kein Auftrag zugewiesen werden."))])
    for report in reports:
        report.assignee_id = target.id if target else None
    log.info("jobs %s assigned to %s by %s", [r.id for r in reports], getattr(target, "email", None),
             getattr(user, "email", None))


def bulk_apply(ids, action: str, user, public_reply=None, public_message=None, assignee=None) -> int:
    """Apply one action (verify, reject with a message for the citizen, assign) to the chosen jobs; every job or
    none: a job that refuses names itself in the errors. Returns how many jobs changed."""
    if action not in BULK_ACTIONS:
        raise ValidationFailed([("action", _("Bitte eine Aktion wählen."))])
    if not ids:
        raise ValidationFailed([("jobs", _("Bitte mindestens einen Auftrag wählen."))])
    reports = list(db.session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.id)))
    missing = sorted(set(ids) - {r.id for r in reports})
    if missing:
        raise ValidationFailed([("jobs", _("Es gibt keine Meldung Nr. %(id)s.", id=missing[0]))])
    if action == "assign":
        assign_jobs(reports, assignee, user)
        return len(reports)
    public_reply, public_message = workflow.checked_public_message(public_reply, public_message)
    if action in MESSAGE_REQUIRED and not (public_reply or public_message):
        raise ValidationFailed([("public_message", _(
            "Bitte dem Bürger sagen, warum: eine Standardantwort wählen oder eine Nachricht schreiben."))])
    errors = []
    for report in reports:
        try:
            change_job_status(report, action, user, public_reply=public_reply, public_message=public_message)
        except workflow.WorkflowError as exc:
            errors.append(("jobs", f"#{report.id}: {exc}"))
        except ValidationFailed as exc:
            errors += [("jobs", f"#{report.id}: {m}") for _f, m in exc.errors]
    if errors:
        raise ValidationFailed(errors, status=409)
    return len(reports)
