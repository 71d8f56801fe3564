"""Aoristic time of offence (Ratcliffe 2000, "Aoristic analysis: the spatial interpretation of unspecific
temporal events"): graffiti is found, not seen being sprayed, so each report only says that the damage
appeared between the last time the place was known to be clean and the report. The report's one unit of
weight is spread over the hours of the week in proportion to how much of that window falls into each hour.

Bins are the 168 hours of the week in the city's local time (Monday 0-1 h is bin 0, Sunday 23-24 h bin 167).
The window is cut at UTC hour boundaries, which are local hour boundaries in every zone with whole-hour
offsets (Europe/Berlin included): an hour skipped or repeated by a daylight-saving change gets exactly the
time the window really spent in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np

HOURS_PER_WEEK = 168
HOUR_S = 3600.0


def week_hour(at: datetime, tz: tzinfo) -> int:
    """The local hour of the week of an instant: (ISO weekday - 1) * 24 + hour."""
    local = at.astimezone(tz)
    return (local.isoweekday() - 1) * 24 + local.hour


@dataclass
class Profile:
    """Weights per hour of the week for a set of reports, and how many had a usable window."""

    offence: np.ndarray  # 168 aoristic weights (sum = number of reports with a known window)
    reported: np.ndarray  # 168 counts of the time reported (all reports)
    known: int  # reports whose window is known and within the cap
    total: int

    @property
    def offence_by_weekday(self) -> np.ndarray:
        """Weights per ISO weekday (index 0 = Monday)."""
        return self.offence.reshape(7, 24).sum(axis=1)

    @property
    def offence_by_hour(self) -> np.ndarray:
        """Weights per local hour of the day."""
        return self.offence.reshape(7, 24).sum(axis=0)

    @property
    def reported_by_weekday(self) -> np.ndarray:
        """Reports per ISO weekday of the time reported."""
        return self.reported.reshape(7, 24).sum(axis=1)

    @property
    def reported_by_hour(self) -> np.ndarray:
        """Reports per local hour of the time reported."""
        return self.reported.reshape(7, 24).sum(axis=0)


class _HourTable:
    """The local hour of the week of every UTC hour in a span, computed once for many windows."""

    def __init__(self, first: datetime, last: datetime, tz: tzinfo):
        self.origin = _floor_hour(first)
        n = int((last - self.origin).total_seconds() // HOUR_S) + 2
        self.bins = np.fromiter((week_hour(self.origin + timedelta(hours=i), tz) for i in range(n)), dtype=np.int64,
                                count=n)

    def weights(self, start: datetime, end: datetime) -> np.ndarray:
        """168 weights of one window [start, end), summing to one."""
        s = (start - self.origin).total_seconds() / HOUR_S
        e = (end - self.origin).total_seconds() / HOUR_S
        out = np.zeros(HOURS_PER_WEEK)
        if e <= s:  # an instant: all its weight in its own hour
            out[self.bins[int(s)]] = 1.0
            return out
        first, last = int(np.floor(s)), int(np.ceil(e))
        edges = np.arange(first, last + 1, dtype=float)
        overlap = np.minimum(edges[1:], e) - np.maximum(edges[:-1], s)
        np.add.at(out, self.bins[first:last], overlap)
        return out / (e - s)


def _floor_hour(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


def window_weights(start: datetime, end: datetime, tz: tzinfo) -> np.ndarray:
    """The aoristic weights of one report whose damage appeared in [start, end) (aware datetimes)."""
    return _HourTable(start, end, tz).weights(start, end)


def profile(windows: list[tuple[datetime | None, datetime]], tz: tzinfo, max_days: float) -> Profile:
    """Aoristic and reported-time profiles of reports given as (known clean since or None, reported at).

    A window without a start, or longer than `max_days`, counts as unknown: it adds nothing to the aoristic
    profile (spreading it evenly would only flatten the profile), but its report time is counted.
    """
    reported = np.zeros(HOURS_PER_WEEK)
    offence = np.zeros(HOURS_PER_WEEK)
    known = [(s, e) for s, e in windows if s is not None and s <= e and (e - s).total_seconds() <= max_days * 86400]
    for _, e in windows:
        reported[week_hour(e, tz)] += 1
    if known:
        table = _HourTable(min(s for s, _ in known), max(e for _, e in known), tz)
        for s, e in known:
            offence += table.weights(s, e)
    return Profile(offence, reported, len(known), len(windows))


def shares_in(windows: list[tuple[datetime, datetime]], tz: tzinfo, weekdays: tuple[int, ...],
              hours: tuple[int, ...]) -> list[float]:
    """share_in for many windows [start, end), with one table of local hours for all of them."""
    if not windows:
        return []
    table = _HourTable(min(s for s, _ in windows), max(e for _, e in windows), tz)
    return [share_in(table.weights(s, e), weekdays, hours) for s, e in windows]


def share_in(weights: np.ndarray, weekdays: tuple[int, ...], hours: tuple[int, ...]) -> float:
    """The share of a report's weights in the chosen ISO weekdays (1-7) and local hours (all when empty)."""
    mask = np.ones((7, 24), dtype=bool)
    if weekdays:
        mask[[d - 1 for d in range(1, 8) if d not in weekdays], :] = False
    if hours:
        mask[:, [h for h in range(24) if h not in hours]] = False
    return float(weights.reshape(7, 24)[mask].sum())
