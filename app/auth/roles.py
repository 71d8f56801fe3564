"""Role checks for staff, police and admin routes: once per blueprint where the whole area needs a role
(`require_role`), per view where one route needs another (`role_required`)."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user


_BLUEPRINT_ROLES: dict[str, tuple] = {}  # blueprint name -> the roles require_role asks for


def has_role(*roles) -> bool:
    """Whether the current user is logged in with one of `roles` (admins have every role)."""
    return current_user.is_authenticated and (current_user.role == "admin" or current_user.role in roles)


def check_role(*roles):
    """None when the current user has one of `roles`; else the login page for anonymous browsers, and
    401 (anonymous API clients) or 403 (users of another role)."""
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401, description=_("Bitte melden Sie sich an."))
        return redirect(url_for("auth.login", next=request.full_path))
    if not has_role(*roles):
        abort(403, description=_("Ihre Rolle darf diese Seite nicht öffnen."))
    return None


def require_role(bp, *roles) -> None:
    """Every route of the blueprint `bp` needs one of `roles` (checked before the view runs; Flask's automatic
    OPTIONS answer, which runs no view, stays as it is for routes checked per view)."""

    def check():
        if request.method == "OPTIONS" and getattr(request.url_rule, "provide_automatic_options", False):
            return None
        return check_role(*roles)

    _BLUEPRINT_ROLES[bp.name] = roles
    bp.before_request(check)


def role_required(*roles):
    """A view that needs one of `roles` (for a route whose blueprint does not need it as a whole)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return check_role(*roles) or view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def refused_by_role() -> bool:
    """Whether the role checks will refuse this request (login page, 401 or 403): then they answer it, not a
    check that would look at its content first (app/inputguard.py)."""
    from flask import current_app

    needed = [_BLUEPRINT_ROLES[name] for name in request.blueprints if name in _BLUEPRINT_ROLES]
    view = current_app.view_functions.get(request.endpoint)
    needed += [view.required_roles] if hasattr(view, "required_roles") else []
    return any(not has_role(*roles) for roles in needed)
