"""Blueprint for police: hotspot maps, tag tracking, exports."""
from flask import Blueprint

bp = Blueprint("police", __name__)

from app.police import routes  # noqa: E402,F401
