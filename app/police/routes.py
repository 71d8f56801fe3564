"""Police pages."""
from flask import render_template

from app.auth.roles import role_required
from app.police import bp


@bp.route("/")
@role_required("police")
def index():
    """Police start page."""
    return render_template("police/index.html")
