"""Staff pages."""
from flask import render_template

from app.auth.roles import role_required
from app.staff import bp


@bp.route("/")
@role_required("staff")
def index():
    """Staff start page."""
    return render_template("staff/index.html")
