"""Blueprint for police: hotspot maps, tag tracking, exports."""
from flask import Blueprint

from app.auth.roles import require_role

bp = Blueprint("police", __name__)
require_role(bp, "police")  # the contact access log asks for admins on top

from app.police import routes  # noqa: E402,F401
