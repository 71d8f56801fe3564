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

import numpy as np
from flask import current_app, g
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import text

from app.errors import ValidationFailed
from app.extensions import db
from app.services.core.workdays import city_timezone, local_date, local_midnight
from app.services.police.filters import Filters, where_clause
from gis.aoristic import Profile, profile, shares_in

NEAR_METRES = 15.0


def max_days() -> float:
    """Windows longer than this many days count as unknown."""
    return float(current_app.config["AORISTIC_MAX_DAYS"])


SAMPLE = 5_000  # reports whose windows the weekday/hour profile is estimated from (a fixed pseudo-random sample)
MAX_FILTERED = 20_000  # the filter by time of offence needs every report's window: a work budget


def windows(f: Filters, sample: int | None = None) -> list[tuple[int, datetime | None, datetime]]:
    """(report id, known clean since or None, reported at) for the reports of the filters; with `sample`, for at
    most that many of them, a fixed pseudo-random choice (by a multiplicative hash of the id), the same on every
    request. Each window needs index look-ups around its report, so large selections are sampled."""
    where, params = where_clause(f)
    limit = "ORDER BY (r.id * 2654435761) % 4294967296 LIMIT :sample" if sample else ""
    # The planner's cost for thousands of index look-ups triggers JIT compiling, which took 2.7 of 3.3 s.
    db.session.execute(text("SET LOCAL jit = off"))
    rows = db.session.execute(text(f"""
        WITH s AS MATERIALIZED (SELECT r.id, r.created_at, r.building_id, r.location_m FROM reports r
                                WHERE {where} {limit})
        SELECT s.id, s.created_at, greatest(
          (SELECT max(p.removed_at) FROM reports p
            WHERE p.building_id = s.building_id AND p.id <> s.id AND p.removed_at < s.created_at),
          (SELECT max(p.removed_at) FROM reports p
            WHERE ST_DWithin(p.location_m, s.location_m, :near) AND p.id <> s.id
              AND p.removed_at < s.created_at)) AS removed_at
        FROM s"""), {**params, "near": NEAR_METRES, "sample": sample})
    return [(r.id, local_midnight(local_date(r.removed_at)) if r.removed_at else None, r.created_at) for r in rows]


def reported_counts(f: Filters) -> np.ndarray:
    """Reports per local hour of the week (168) of the time reported, for every report of the filters."""
    where, params = where_clause(f)
    out = np.zeros(168)
    for day, hour, n in db.session.execute(text(f"""
            SELECT extract(isodow FROM r.created_at AT TIME ZONE :tz)::int,
                   extract(hour FROM r.created_at AT TIME ZONE :tz)::int, count(*)
            FROM reports r WHERE {where} GROUP BY 1, 2"""), params):
        out[(day - 1) * 24 + hour] = n
    return out


def without_time_filters(f: Filters) -> Filters:
    """The same selection without weekday and hour filters (whose basis is the question)."""
    return replace(f, weekdays=(), hours=(), time_basis="reported")


MAJORITY = 0.5


def matching_ids(f: Filters) -> list[int]:
    """Reports whose estimated time of offence lies mostly (at least half of its weight) in the filters' weekdays
    and hours; reports with an unknown time of offence never match. Kept per request (a page asks several times).
    ValidationFailed above MAX_FILTERED reports (each needs its window)."""
    key = ("offence_ids", f.start, f.end, f.categories, f.weekdays, f.hours, f.district_id, f.tag_id)
    cache = g.setdefault("offence_ids", {})
    if key not in cache:
        wide = without_time_filters(f)
        if int(reported_counts(wide).sum()) > MAX_FILTERED:
            raise ValidationFailed([("time", _(
                "Der Filter nach geschätzter Tatzeit geht bis %(max)s Meldungen; bitte Zeitraum, Kategorien oder "
                "Stadtteil enger wählen oder nach Zeit der Meldung filtern.", max=format_decimal(MAX_FILTERED)))])
        cap = max_days() * 86400
        known = [(i, s, e) for i, s, e in windows(wide) if s is not None and (e - s).total_seconds() <= cap]
        shares = shares_in([(s, e) for _, s, e in known], city_timezone(), f.weekdays, f.hours)
        cache[key] = [i for (i, _, _), share in zip(known, shares, strict=True) if share >= MAJORITY]
    return cache[key]


def time_profile(f: Filters) -> Profile:
    """Reported-time counts of every report and aoristic weights of (a sample of at most SAMPLE of) them per hour
    of the week for the filters; `total` is the number of reports the weights come from."""
    sampled = profile([(s, e) for _, s, e in windows(f, SAMPLE)], city_timezone(), max_days())
    return Profile(sampled.offence, reported_counts(f), sampled.known, sampled.total)


def _shares(values, total: int) -> list[float | None]:
    return [float(v) / total if total else None for v in values]


def time_figures(f: Filters) -> dict:
    """Shares per weekday (1 = Monday) and local hour, by time reported (all reports) and by estimated time of
    offence (the sample), for the filters without their weekday and hour filters."""
    p = time_profile(without_time_filters(f))
    reports = int(p.reported.sum())
    return {"known": p.known, "total": p.total, "reports": reports, "sampled": p.total < reports,
            "max_days": max_days(),
            "weekdays": list(zip(range(1, 8), _shares(p.reported_by_weekday, reports),
                                 _shares(p.offence_by_weekday, p.known), strict=True)),
            "hours": list(zip(range(24), _shares(p.reported_by_hour, reports),
                              _shares(p.offence_by_hour, p.known), strict=True))}
