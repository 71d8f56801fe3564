"""Removal records: date, crew, method, area, cost and an after-photo; the job becomes 'removed'."""
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _

from app import labels
from app.errors import ValidationFailed
from app.extensions import db
from app.models import REMOVAL_METHODS, Photo, Removal, Report
from app.services.core import workflow
from app.services.core.workdays import city_timezone, local_date, local_today

log = logging.getLogger(__name__)
CURRENCY_AND_UNITS = ("EUR", "Euro", "€", "m²", "m2", "qm")  # suffixes a number may carry


@dataclass
class RemovalInput:
    """A removal as entered by staff, already checked."""

    removed_on: date
    crew: str | None
    method: str
    area_m2: Decimal
    cost_eur: Decimal
    note: str | None


def _decimal(value, field, label, maximum):
    try:
        text = str(value).strip()
        for unit in CURRENCY_AND_UNITS:  # "120 EUR", "120 €", "3,5 m²" mean what they say
            if text.casefold().endswith(unit.casefold()):
                text = text[:-len(unit)].strip()
        number = Decimal(text.replace(",", "."))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return None, (field, _("%(label)s: „%(value)s“ ist keine Zahl.", label=label, value=value))
    if number < 0 or number > maximum:
        return None, (field, _("%(field)s muss zwischen %(low)s und %(high)s liegen.", field=label, low=0,
                               high=maximum))
    return number.quantize(Decimal("0.01")), None


def parse_removal(form, today: date | None = None) -> RemovalInput:
    """Check a removal form (removed_on, crew, method, area_m2, cost_eur, note); all errors at once."""
    today = today or local_today()
    errors = []
    raw_day = (form.get("removed_on") or "").strip()
    removed_on = None
    try:
        removed_on = date.fromisoformat(raw_day) if raw_day else today
        if removed_on > today:
            errors.append(("removed_on", _("Das Datum der Entfernung liegt in der Zukunft.")))
    except ValueError:
        errors.append(("removed_on", _("„%(value)s“ ist kein Datum (YYYY-MM-DD).", value=raw_day)))
    method = form.get("method") or ""
    if method not in REMOVAL_METHODS:
        errors.append(("method", _("Bitte eine Methode wählen: %(methods)s.",
                                   methods=", ".join(labels.names(labels.REMOVAL_METHOD).values()))))
    area, err = _decimal(form.get("area_m2", ""), "area_m2", _("Fläche (m²)"), 10000)
    errors += [err] if err else []
    cost, err = _decimal(form.get("cost_eur", ""), "cost_eur", _("Kosten (EUR)"), 1_000_000)
    errors += [err] if err else []
    if errors:
        raise ValidationFailed(errors)
    crew = (form.get("crew") or "").strip()[:100] or None
    note = (form.get("note") or "").strip()[:2000] or None
    return RemovalInput(removed_on, crew, method, area, cost, note)


def record_removal(report: Report, data: RemovalInput, user, photo: bytes | None = None) -> Removal:
    """Store the removal (and its after-photo) and move the job to 'removed'; nothing is kept on a refusal."""
    if report.status != "scheduled":
        raise workflow.WorkflowError(_(
            "Nur eingeplante Aufträge können als entfernt erfasst werden; dieser ist „%(status)s“. Bitte zuerst "
            "einplanen.", status=labels.status_label(report.status)))
    if data.removed_on < local_date(report.created_at):
        raise ValidationFailed([("removed_on", _("Das Datum der Entfernung liegt vor der Meldung."))])
    stored = None
    if photo:
        from app.services.citizen.photo_files import StagedPhotos, publish_on_commit
        from app.services.citizen.photos import PhotoError, process_photo

        try:
            processed = process_photo(photo)
        except PhotoError as exc:
            raise ValidationFailed([("photo", str(exc))]) from exc
        staged = StagedPhotos(current_app.config["UPLOAD_DIR"])
        stored = staged.add(processed)   # published when the caller commits
        publish_on_commit(db.session(), staged)
    removal = Removal(report_id=report.id, removed_on=data.removed_on, crew=data.crew, method=data.method,
                      area_m2=data.area_m2, cost_eur=data.cost_eur, note=data.note,
                      created_by_id=getattr(user, "id", None))
    db.session.add(removal)
    db.session.flush()
    if stored is not None:
        db.session.add(Photo(removal_id=removal.id, kind="after", sha256=stored.sha256, filename=stored.filename,
                             thumb_filename=stored.thumb_filename, width=stored.width, height=stored.height))
    now = datetime.now(UTC)
    at = now if data.removed_on == local_date(now) else \
        datetime.combine(data.removed_on, datetime.min.time().replace(hour=12), tzinfo=city_timezone())
    workflow.change_status(report, "removed", user, note=data.note, at=now)
    report.removed_at = min(at, now)  # the day the crew worked, for the statistics
    log.info("removal %s recorded for report %s (%s m², %s EUR)", removal.id, report.id, data.area_m2, data.cost_eur)
    return removal


def after_photos(removal_ids) -> dict[int, list[Photo]]:
    """After-photos by removal id."""
    from sqlalchemy import select

    result: dict[int, list[Photo]] = {}
    if not removal_ids:
        return result
    for p in db.session.scalars(select(Photo).where(Photo.removal_id.in_(list(removal_ids))).order_by(Photo.id)):
        result.setdefault(p.removal_id, []).append(p)
    return result
