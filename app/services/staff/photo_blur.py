"""Staff blur what the detector missed: boxes drawn on a stored photo are blurred into it for good.

Photos are stored content-addressed, so a blurred photo is a new file with a new name: every photo row with
the old content (the same picture may belong to several reports) moves to it, its thumbnail is made again,
and the old files are deleted once that is committed. Nothing keeps the unblurred pixels.
"""
import logging
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Photo
from app.services.citizen.anonymise import Box
from app.services.citizen.photo_files import StagedPhotos, publish_on_commit
from app.services.citizen.photos import reblur_photo

log = logging.getLogger(__name__)

MAX_BOXES = 30
MIN_SHARE = 0.005   # a box narrower or lower than this share of the photo is a slip of the finger


def parse_boxes(values: list[str], photo: Photo) -> list[Box]:
    """Boxes sent as "left,top,width,height" in shares of the photo (0 to 1), converted to its pixels."""
    values = [v for v in values if v and v.strip()]
    if not values:
        raise ValidationFailed([("box", _("Bitte ziehen Sie auf dem Foto mindestens einen Rahmen auf."))])
    if len(values) > MAX_BOXES:
        raise ValidationFailed([("box", _("Höchstens %(n)d Rahmen auf einmal.", n=MAX_BOXES))])
    boxes = []
    for value in values:
        try:
            x, y, w, h = (float(part) for part in value.split(","))
        except ValueError:
            raise ValidationFailed([("box", _("„%(value)s“ ist kein Rahmen (links,oben,Breite,Höhe als Anteile "
                                              "von 0 bis 1).", value=value[:40]))]) from None
        if not (0 <= x < 1 and 0 <= y < 1 and MIN_SHARE <= w <= 1 and MIN_SHARE <= h <= 1):
            raise ValidationFailed([("box", _("Ein Rahmen liegt nicht auf dem Foto. Bitte ziehen Sie ihn neu "
                                              "auf."))])
        left, top = round(x * photo.width), round(y * photo.height)
        right, bottom = min(photo.width, round((x + w) * photo.width)), min(photo.height, round((y + h) * photo.height))
        boxes.append(Box(left, top, max(1, right - left), max(1, bottom - top), "manual"))
    return boxes


def blur_regions(photo: Photo, boxes: list[Box], user) -> list[Path]:
    """Blur `boxes` into the photo and point every row with its content at the new files; returns the old
    files, to be deleted (`discard`) after the commit."""
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    old_sha, old_files = photo.sha256, [upload_dir / photo.filename, upload_dir / photo.thumb_filename]
    processed = reblur_photo(old_files[0], boxes)
    staged = StagedPhotos(upload_dir)
    stored = staged.add(processed)
    publish_on_commit(db.session(), staged)   # the new files appear when the rows pointing at them are committed
    rows = db.session.scalars(select(Photo).where(Photo.sha256 == old_sha)).all()
    for row in rows:
        row.sha256, row.filename, row.thumb_filename = stored.sha256, stored.filename, stored.thumb_filename
        row.width, row.height = stored.width, stored.height
    db.session.flush()
    log.info("user %s blurred %d regions of photo %s (%d rows)", getattr(user, "id", None), len(boxes), photo.id,
             len(rows))
    return old_files if stored.sha256 != old_sha else []


def discard(paths: list[Path]) -> None:
    """Delete replaced photo files that no photo row refers to any more."""
    for path in paths:
        still_used = db.session.scalar(select(Photo.id).where(
            (Photo.filename == path.name) | (Photo.thumb_filename == path.name)).limit(1))
        if still_used is None:
            path.unlink(missing_ok=True)
