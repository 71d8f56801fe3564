"""Priorities and removal targets: offensive 24 h, municipal 3 working days, others 10 (configurable)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.services.core.workdays import add_working_days

PRIORITY_OFFENSIVE, PRIORITY_MUNICIPAL, PRIORITY_OTHER, PRIORITY_PRIVATE = 1, 2, 3, 4


@dataclass(frozen=True)
class Target:
    """A job's priority, due time and whether a crew removes it (or the owner is notified)."""

    priority: int
    due_at: datetime
    crew_job: bool
    rule: str


def removal_target(created_at: datetime, offensive: bool, owner_type: str | None, targets=None) -> Target:
    """The removal target of a report created at `created_at` on a building of `owner_type` (None: no building);
    `targets` as targets_from_config returns them (default: the app's)."""
    t = targets if targets is not None else targets_from_config(current_app.config)
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
        "offensive_hours": config["SLA_OFFENSIVE_HOURS"],
        "municipal_workdays": config["SLA_MUNICIPAL_WORKDAYS"],
        "other_workdays": config["SLA_OTHER_WORKDAYS"],
    }
