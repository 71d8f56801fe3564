"""Priorities and removal targets: offensive 24 h, municipal 3 working days, others 10 (configurable)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.services.core.workdays import add_working_days

DEFAULT_TARGETS = {"offensive_hours": 24, "municipal_workdays": 3, "other_workdays": 10}

PRIORITY_OFFENSIVE, PRIORITY_MUNICIPAL, PRIORITY_OTHER, PRIORITY_PRIVATE = 1, 2, 3, 4


@dataclass(frozen=True)
class Target:
    """A job's priority, due time and whether a crew removes it (or the owner is notified)."""

    priority: int
    due_at: datetime
    crew_job: bool
    rule: str


def removal_target(created_at: datetime, offensive: bool, owner_type: str | None, targets=None) -> Target:
    """The removal target of a report created at `created_at` on a building of `owner_type` (None: no building)."""
    t = {**DEFAULT_TARGETS, **(targets or {})}
    if offensive:
        return Target(PRIORITY_OFFENSIVE, created_at + timedelta(hours=t["offensive_hours"]), True, "offensive")
    if owner_type == "municipal":
        return Target(PRIORITY_MUNICIPAL, add_working_days(created_at, t["municipal_workdays"]), True, "municipal")
    if owner_type == "private":
        return Target(PRIORITY_PRIVATE, add_working_days(created_at, t["other_workdays"]), False, "notify_owner")
    return Target(PRIORITY_OTHER, add_working_days(created_at, t["other_workdays"]), True, "other")


def targets_from_config(config) -> dict:
    """Removal targets from the app configuration (SLA_OFFENSIVE_HOURS, SLA_MUNICIPAL_WORKDAYS, SLA_OTHER_WORKDAYS)."""
    return {
        "offensive_hours": int(config.get("SLA_OFFENSIVE_HOURS", DEFAULT_TARGETS["offensive_hours"])),
        "municipal_workdays": int(config.get("SLA_MUNICIPAL_WORKDAYS", DEFAULT_TARGETS["municipal_workdays"])),
        "other_workdays": int(config.get("SLA_OTHER_WORKDAYS", DEFAULT_TARGETS["other_workdays"])),
    }
