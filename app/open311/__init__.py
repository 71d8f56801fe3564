"""Blueprint for the Open311 GeoReport v2 endpoints."""
from flask import Blueprint

bp = Blueprint("open311", __name__)

from app.open311 import routes  # noqa: E402,F401
