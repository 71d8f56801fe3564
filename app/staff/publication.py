"""Staff routes for what is released to the public and for Open311 clients' comments on a job."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import get_or_404
from app.extensions import db
from app.models import Report
from app.services.staff.publication import publish_description
from app.staff import bp


@bp.route("/jobs/<int:report_id>/publish-description", methods=["POST"])
def publish_job_description(report_id):
    """Release the citizen's description and photos for Open311 answers (publish=0 withdraws them)."""
    report = get_or_404(Report, report_id)
    publish = request.form.get("publish", "1") != "0"
    publish_description(report, current_user, publish)
    db.session.commit()
    flash(_("Beschreibung veröffentlicht.") if publish else _("Beschreibung nicht mehr veröffentlicht."))
    return redirect(url_for("staff.job", report_id=report_id))
