"""Login and logout pages."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from app.auth import bp
from app.extensions import db, login_manager
from app.models import User
from app.services.core.accounts import authenticate, too_many_failures

HOME_BY_ROLE = {"staff": "staff.index", "police": "police.index", "admin": "staff.index",
                "prevention": "prevention.index"}


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative redirects after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff, police and admin log in here."""
    if request.method == "POST":
        email = request.form.get("email", "")
        if too_many_failures(email.strip().lower(), request.remote_addr):
            db.session.commit()
            return render_template("auth/login.html", error=_(
                "Zu viele Fehlversuche. Bitte warten Sie 15 Minuten und versuchen Sie es erneut.")), 429
        user = authenticate(email, request.form.get("password", ""), request.remote_addr)
        db.session.commit()
        if user is None:
            return render_template("auth/login.html", error=_("E-Mail oder Passwort ist falsch.")), 401
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME_BY_ROLE[user.role]))
    return render_template("auth/login.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    logout_user()
    flash(_("Sie sind abgemeldet."))
    return redirect(url_for("public.index"))
