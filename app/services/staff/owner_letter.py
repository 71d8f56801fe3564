"""Owners of private buildings: their contact data, and the city's letter asking them to remove the damage
(a PDF from a Jinja template with WeasyPrint, in German), recorded in the job's history."""
import base64
import logging
import re
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Building, Report, StatusEvent
from app.services.core.workdays import local_date, local_today, working_days_after
from app.services.staff import triage

log = logging.getLogger(__name__)
CONTACT_FIELDS = {"owner_name": 200, "owner_address": 1000, "owner_email": 254, "owner_phone": 50}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def save_owner_contact(building: Building, form) -> None:
    """Store the owner's name, postal address, e-mail and phone as typed (empty fields are cleared)."""
    values = {name: (form.get(name) or "").strip() or None for name in CONTACT_FIELDS}
    errors = [(name, _("Höchstens %(n)d Zeichen.", n=limit)) for name, limit in CONTACT_FIELDS.items()
              if values[name] and len(values[name]) > limit]
    if values["owner_email"] and not EMAIL.match(values["owner_email"]):
        errors.append(("owner_email", _("„%(value)s“ ist keine E-Mail-Adresse.", value=values["owner_email"])))
    if errors:
        raise ValidationFailed(errors)
    for name, value in values.items():
        setattr(building, name, value)
    db.session.flush()


def deadline_from(day: date) -> date:
    """By when the owner is asked to act: the working-day target of other buildings after the letter's day."""
    return working_days_after(day, int(current_app.config["SLA_OTHER_WORKDAYS"]))


def notify_owner(report: Report, user) -> StatusEvent:
    """Move a verified job on a private building to 'notify owner', the letter's day and deadline in the
    history; the owner's name and postal address must be known."""
    building = report.building
    if building is None or building.owner_type != "private":
        raise ValidationFailed([(None, _("Ein Schreiben an den Eigentümer gibt es nur für Privatgebäude."))])
    missing = [(name, _("Für das Schreiben fehlt: %(what)s.", what=label))
               for name, label in (("owner_name", _("Name des Eigentümers")), ("owner_address", _("Anschrift")))
               if not getattr(building, name)]
    if missing:
        raise ValidationFailed(missing)
    deadline = deadline_from(local_today())
    # the history's notes are German, like the letter
    note = f"Schreiben an den Eigentümer ({building.owner_name}) erstellt; Frist: {deadline:%d.%m.%Y}"
    return triage.change_job_status(report, "notify_owner", user, note=note)


def letter_event(report: Report) -> StatusEvent | None:
    """The history entry of the latest letter (the latest change to 'notify owner')."""
    return db.session.scalar(select(StatusEvent).where(StatusEvent.report_id == report.id,
                                                       StatusEvent.to_status == "notify_owner")
                             .order_by(StatusEvent.created_at.desc(), StatusEvent.id.desc()).limit(1))


def _photo_data_uri(report: Report) -> str | None:
    photo = report.photos[0] if report.photos else None
    if photo is None:
        return None
    path = Path(current_app.config["UPLOAD_DIR"]) / photo.filename
    if not path.is_file():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def letter_pdf(report: Report) -> bytes:
    """The letter of the latest 'notify owner' step as PDF (German): the building's address, the photo, what the
    city asks and by when."""
    from weasyprint import HTML

    event = letter_event(report)
    if event is None:
        raise ValidationFailed([(None, _("Für diesen Auftrag wurde noch kein Schreiben an den Eigentümer erstellt."))],
                               status=404)
    day = local_date(event.created_at)
    with force_locale("de"):
        html = render_template("staff/owner_letter.html", report=report, building=report.building, day=day,
                               deadline=deadline_from(day), photo=_photo_data_uri(report),
                               city_name=current_app.extensions["city"].name)
    return HTML(string=html).write_pdf()
