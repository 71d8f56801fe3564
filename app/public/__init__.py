"""Blueprint for citizens: report form, status page, public map."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import pwa, routes  # noqa: E402,F401
