"""Staff blur boxes on a job's photos (what the detector missed): the form is the partial
staff/_photo_blur.html on the job page, drawn with static/js/photo_blur.js."""
from flask import flash, redirect, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from app.errors import get_or_404
from app.extensions import db
from app.models import Photo, Removal
from app.services.staff import photo_blur
from app.staff import bp


@bp.route("/photos/<int:photo_id>/blur", methods=["POST"])
def blur_photo(photo_id):
    """Blur the boxes drawn on a photo into it (and its thumbnail); back to the job page."""
    photo = get_or_404(Photo, photo_id)
    boxes = photo_blur.parse_boxes(request.form.getlist("box"), photo)
    old_files = photo_blur.blur_regions(photo, boxes, current_user)
    db.session.commit()
    photo_blur.discard(old_files)
    flash(ngettext("Der markierte Bereich ist jetzt unkenntlich.",
                   "Die %(num)d markierten Bereiche sind jetzt unkenntlich.", len(boxes)))
    report_id = photo.report_id or db.session.get(Removal, photo.removal_id).report_id
    return redirect(url_for("staff.job", report_id=report_id, _anchor="photo-blur"))
