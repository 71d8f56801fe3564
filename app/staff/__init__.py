"""Blueprint for building-management staff: triage, planning, statistics."""
from flask import Blueprint

from app.auth.roles import require_role

bp = Blueprint("staff", __name__)
require_role(bp, "staff")

from app.staff import formatting, photo_blur, publication, routes  # noqa: E402,F401
