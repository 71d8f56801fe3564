"""Blueprint for building-management staff: triage, planning, statistics."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import formatting, routes  # noqa: E402,F401
