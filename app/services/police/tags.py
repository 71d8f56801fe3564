"""Tags (sprayers' signatures): normalised names, attaching to reports, statistics and overlap suggestions."""
from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import delete, select, text

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Report, ReportTag, Tag
from gis.police_tags import TagIncidents, suggest_same_sprayer

log = logging.getLogger(__name__)
MAX_TAG_LENGTH = 100


def normalise(name: str) -> str:
    """The normalised form of a tag name: NFKC, case-folded, letters/digits only (so "N.O.I.Z" = "noiz")."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return re.sub(r"[^\w]|_", "", folded)


def get_or_create(name: str, user) -> Tag:
    """The tag with this normalised name, created with `name` as its display form when new."""
    display = " ".join((name or "").split())
    key = normalise(display)
    if not key:
        raise ValidationFailed([("tag", _("Bitte einen Tag-Namen mit mindestens einem Buchstaben oder einer Ziffer "
                                          "angeben."))])
    if len(display) > MAX_TAG_LENGTH:
        raise ValidationFailed([("tag", _("Ein Tag-Name darf höchstens %(n)d Zeichen haben.", n=MAX_TAG_LENGTH))])
    tag = db.session.scalar(select(Tag).where(Tag.name == key))
    if tag is None:
        tag = Tag(name=key, display_name=display, created_by_id=user.id)
        db.session.add(tag)
        db.session.flush()
        log.info("tag %s created by user %s", key, user.id)
    return tag


def attach(report: Report, name: str, user) -> Tag:
    """Attach a tag (by name) to a report; attaching twice is harmless."""
    tag = get_or_create(name, user)
    if db.session.get(ReportTag, (report.id, tag.id)) is None:
        db.session.add(ReportTag(report_id=report.id, tag_id=tag.id, added_by_id=user.id))
        db.session.flush()
        log.info("tag %s attached to report %s by user %s", tag.name, report.id, user.id)
    return tag


def detach(report: Report, tag_id: int, user) -> None:
    """Remove a tag from a report."""
    db.session.execute(delete(ReportTag).where(ReportTag.report_id == report.id, ReportTag.tag_id == tag_id))
    log.info("tag %s removed from report %s by user %s", tag_id, report.id, user.id)


def tags_of(report_id: int) -> list[Tag]:
    """The tags of a report, by name."""
    return list(db.session.scalars(select(Tag).join(ReportTag, ReportTag.tag_id == Tag.id)
                                   .where(ReportTag.report_id == report_id).order_by(Tag.name)))


TAG_STATS_SQL = """
    SELECT t.id, t.name, t.display_name, count(r.id) AS reports, count(DISTINCT r.building_id) AS buildings,
           min(r.created_at) AS first, max(r.created_at) AS last,
           coalesce(sum(c.cost), 0) AS removal_cost_eur, count(DISTINCT r.district_id) AS districts
    FROM tags t
    LEFT JOIN report_tags rt ON rt.tag_id = t.id
    LEFT JOIN reports r ON r.id = rt.report_id
    LEFT JOIN (SELECT report_id, sum(cost_eur) AS cost FROM removals GROUP BY report_id) c ON c.report_id = r.id
    {where}
    GROUP BY t.id ORDER BY count(r.id) DESC, t.name
"""


def tag_statistics(tag_id: int | None = None) -> list[dict]:
    """Per tag: reports, buildings, first/last incident and removal cost caused (from staff records)."""
    where, params = ("WHERE t.id = :id", {"id": tag_id}) if tag_id else ("", {})
    rows = db.session.execute(text(TAG_STATS_SQL.format(where=where)), params).mappings().all()
    return [{**r, "removal_cost_eur": float(r["removal_cost_eur"])} for r in rows]


def timeline(tag_id: int) -> list[tuple[str, int]]:
    """Reports per month (YYYY-MM, count) of a tag, months without reports included."""
    rows = db.session.execute(text("""
        SELECT to_char(date_trunc('month', r.created_at AT TIME ZONE :tz), 'YYYY-MM') AS month, count(*) AS n
        FROM reports r JOIN report_tags rt ON rt.report_id = r.id WHERE rt.tag_id = :id
        GROUP BY 1 ORDER BY 1"""), {"id": tag_id, "tz": _tz()}).all()
    if not rows:
        return []
    counts = dict(rows)
    y, m = map(int, rows[0][0].split("-"))
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append((key, counts.get(key, 0)))
        if key >= rows[-1][0]:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def incidents(tag_id: int, limit: int = 5000) -> list[dict]:
    """The incidents of a tag with position, date, address and status, newest first."""
    return [dict(r) for r in db.session.execute(text("""
        SELECT r.id, r.created_at, r.status, r.category, r.address, r.description, r.retagged,
               ST_X(r.location) AS lon, ST_Y(r.location) AS lat, r.building_id
        FROM reports r JOIN report_tags rt ON rt.report_id = r.id WHERE rt.tag_id = :id
        ORDER BY r.created_at DESC LIMIT :limit"""), {"id": tag_id, "limit": limit}).mappings()]


def suggestions(distance: float = 250.0, days: float = 14.0, min_score: float = 0.2):
    """Tag pairs whose incidents overlap in space and time: possibly the same sprayer."""
    rows = db.session.execute(text("""
        SELECT t.id, t.display_name, ST_X(r.location_m) AS x, ST_Y(r.location_m) AS y,
               extract(epoch FROM r.created_at) / 86400.0 AS d
        FROM tags t JOIN report_tags rt ON rt.tag_id = t.id JOIN reports r ON r.id = rt.report_id
        WHERE r.location_m IS NOT NULL ORDER BY t.id""")).all()
    by_tag: dict[int, list] = {}
    names = {}
    for tid, name, x, y, d in rows:
        by_tag.setdefault(tid, []).append((x, y, float(d)))
        names[tid] = name
    groups = [TagIncidents(tid, names[tid], *(np.array(col, dtype=float) for col in zip(*pts, strict=True)))
              for tid, pts in by_tag.items()]
    return suggest_same_sprayer(groups, distance, days, min_score)


def _tz() -> str:
    from app.services.core.workdays import city_timezone

    return city_timezone().key
