"""What staff release to the public: a citizen's description (and photos) in Open311 answers."""
from datetime import UTC, datetime

from app.extensions import db
from app.models import Report


def publish_description(report: Report, user, publish: bool = True, at: datetime | None = None) -> None:
    """Release (or withdraw) the report's description and photos for Open311 answers, recording who and
    when. Default: not released - citizens may write names, phone numbers or insults into the text."""
    if publish:
        report.description_published_at = at or datetime.now(UTC)
        report.description_published_by = getattr(user, "id", None)
    else:
        report.description_published_at = None
        report.description_published_by = None
    db.session.flush()
