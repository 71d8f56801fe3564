"""Blueprint for prevention: the measures register, evaluations and the yearly report.

Staff, police and the prevention coordinator (`prevention`) read everything here; staff and police register
and change measures. Nothing here shows a reporter's personal data.
"""
from flask import Blueprint

from app.auth.roles import require_role

bp = Blueprint("prevention", __name__)
READERS = ("prevention", "staff", "police")
EDITORS = ("staff", "police")
require_role(bp, *READERS)

from app.prevention import formatting, routes  # noqa: E402,F401
