"""Blueprint for the JSON / GeoJSON API under /api/v1."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401
from app.api import reports  # noqa: E402,F401
from app.api import openapi  # noqa: E402,F401
from app.api import staff  # noqa: E402,F401
from app.api import hotspots  # noqa: E402,F401
