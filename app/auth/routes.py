"""Login and logout pages."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.extensions import db, login_manager
from app.services.core import user_sessions
from app.services.core.accounts import authenticate, login_wait

SESSION_KEY = "sid"  # the cookie session's key of the user_sessions token
HOME_BY_ROLE = {"staff": "staff.index", "police": "police.index", "admin": "staff.index",
                "prevention": "prevention.index"}


@login_manager.user_loader
def load_user(user_id):
    """The user of a live server-side session (user_sessions); None ends a revoked or timed-out one."""
    user = user_sessions.session_user(session.get(SESSION_KEY), user_id)
    if user is None:
        _reset_session()
    return user


def _reset_session() -> None:
    """Forget everything in the cookie session but the language (a new CSRF token comes with the next form)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


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
        wait = login_wait(email.strip().lower(), request.remote_addr)
        if wait:
            return render_template("auth/login.html", email=email, error=_(
                "Zu viele Fehlversuche. Bitte versuchen Sie es in %(wait)s erneut.",
                wait=format_timedelta(timedelta(seconds=wait), threshold=1.5))), 429, {"Retry-After": str(wait)}
        user = authenticate(email, request.form.get("password", ""), request.remote_addr)
        db.session.commit()
        if user is None:
            return render_template("auth/login.html", email=email, error=_("E-Mail oder Passwort ist falsch.")), 401
        _reset_session()  # nothing from before the login (no fixation of a session or a CSRF token)
        session[SESSION_KEY] = user_sessions.start_session(user)
        session.permanent = True  # the cookie expires with SESSION_MAX_HOURS
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME_BY_ROLE[user.role]))
    return render_template("auth/login.html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End every session of this account (a copied cookie, another device), and this one's cookie data."""
    user_sessions.end_sessions_of(current_user.id)
    db.session.commit()
    logout_user()
    _reset_session()
    flash(_("Sie sind abgemeldet."))
    return redirect(url_for("public.index"))
