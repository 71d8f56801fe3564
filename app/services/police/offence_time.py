"""Estimated time of offence: each report's window from the last time its place was known to be clean to the
report, spread over the hours of the week (aoristic analysis, gis.aoristic).

Known clean: the last removal recorded before the report on the same building or within 15 m (`removed_at` of
an earlier report). A removal is known only to the day for past days, so the window starts at the local
midnight of the removal's day: it may start up to a day early, never late. Reports with no earlier removal, or
a window longer than `AORISTIC_MAX_DAYS`, have an unknown time of offence.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import current_app, g
from sqlalchemy import text

from app.extensions import db
from app.services.core.workdays import city_timezone, local_date, local_midnight
from app.services.police.filters import Filters, where_clause
from gis.aoristic import Profile, profile, shares_in

NEAR_METRES = 15.0


def max_days() -> float:
    """Windows longer than this many days count as unknown."""
    return float(current_app.config["AORISTIC_MAX_DAYS"])


def windows(f: Filters) -> list[tuple[int, datetime | None, datetime]]:
    """(report id, known clean since or None, reported at) for the reports of the filters."""
    where, params = where_clause(f)
    rows = db.session.execute(text(f"""
        SELECT r.id, r.created_at, greatest(
          (SELECT max(p.removed_at) FROM reports p
            WHERE p.building_id = r.building_id AND p.id <> r.id AND p.removed_at < r.created_at),
          (SELECT max(p.removed_at) FROM reports p
            WHERE ST_DWithin(p.location_m, r.location_m, :near) AND p.id <> r.id
              AND p.removed_at < r.created_at)) AS removed_at
        FROM reports r WHERE {where}"""), {**params, "near": NEAR_METRES})
    return [(r.id, local_midnight(local_date(r.removed_at)) if r.removed_at else None, r.created_at) for r in rows]


def without_time_filters(f: Filters) -> Filters:
    """The same selection without weekday and hour filters (whose basis is the question)."""
    return replace(f, weekdays=(), hours=(), time_basis="reported")


MAJORITY = 0.5


def matching_ids(f: Filters) -> list[int]:
    """Reports whose estimated time of offence lies mostly (at least half of its weight) in the filters' weekdays
    and hours; reports with an unknown time of offence never match. Kept per request (a page asks several times).
    """
    key = ("offence_ids", f.start, f.end, f.categories, f.weekdays, f.hours, f.district_id, f.tag_id)
    cache = g.setdefault("offence_ids", {})
    if key not in cache:
        cap = max_days() * 86400
        known = [(i, s, e) for i, s, e in windows(without_time_filters(f))
                 if s is not None and (e - s).total_seconds() <= cap]
        shares = shares_in([(s, e) for _, s, e in known], city_timezone(), f.weekdays, f.hours)
        cache[key] = [i for (i, _, _), share in zip(known, shares, strict=True) if share >= MAJORITY]
    return cache[key]


def time_profile(f: Filters) -> Profile:
    """Reported-time counts and aoristic weights per hour of the week for the filters."""
    return profile([(s, e) for _, s, e in windows(f)], city_timezone(), max_days())


def _shares(values, total: int) -> list[float | None]:
    return [float(v) / total if total else None for v in values]


def time_figures(f: Filters) -> dict:
    """Shares per weekday (1 = Monday) and local hour, by time reported and by estimated time of offence, for the
    filters without their weekday and hour filters."""
    p = time_profile(without_time_filters(f))
    return {"known": p.known, "total": p.total, "max_days": max_days(),
            "weekdays": list(zip(range(1, 8), _shares(p.reported_by_weekday, p.total),
                                 _shares(p.offence_by_weekday, p.known), strict=True)),
            "hours": list(zip(range(24), _shares(p.reported_by_hour, p.total),
                              _shares(p.offence_by_hour, p.known), strict=True))}
