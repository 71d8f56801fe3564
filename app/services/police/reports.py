"""The police list of reports (for the filters, newest first, with their tags) and one report's page data."""
from __future__ import annotations

from sqlalchemy import select, text

from app.extensions import db
from app.models import Photo, Removal, Report, StatusEvent, Tag
from app.services.police import contact
from app.services.police import tags as tag_service
from app.services.police.filters import Filters, where_clause
from app.services.police.points import count_reports

PER_PAGE = 50


def report_list(f: Filters, page: int, per_page: int = PER_PAGE) -> tuple[list, int]:
    """One page of the filtered reports, newest first, with their tags; and how many there are in all."""
    where, params = where_clause(f)
    rows = db.session.execute(text(f"""
        SELECT r.id, r.created_at, r.category, r.status, r.address, r.description,
               (SELECT string_agg(t.display_name, ', ' ORDER BY t.display_name) FROM report_tags rt
                  JOIN tags t ON t.id = rt.tag_id WHERE rt.report_id = r.id) AS tags
        FROM reports r WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": per_page, "offset": (page - 1) * per_page}).mappings().all()
    return rows, count_reports(f)


def photos_of(report_ids) -> dict[int, list[Photo]]:
    """The citizens' photos of these reports (not the after-removal ones), by report, in upload order."""
    ids = sorted({int(i) for i in report_ids})
    if not ids:
        return {}
    out: dict[int, list[Photo]] = {}
    for p in db.session.scalars(select(Photo).where(Photo.report_id.in_(ids)).order_by(Photo.report_id, Photo.id)):
        out.setdefault(p.report_id, []).append(p)
    return out


def report_details(report: Report) -> dict:
    """What the police page of a report shows besides the report: tags, removals, history, all tags to pick."""
    return {
        "tags": tag_service.tags_of(report.id), "has_contact": contact.has_contact(report),
        "photos": photos_of([report.id]).get(report.id, []),
        "removals": db.session.scalars(select(Removal).where(Removal.report_id == report.id)).all(),
        "events": db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)
                                     .order_by(StatusEvent.created_at)).all(),
        "all_tags": db.session.scalars(select(Tag).order_by(Tag.name)).all(),
    }
