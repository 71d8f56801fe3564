"""Role checks for staff, police and admin routes."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user


def role_required(*roles):
    """Allow only logged-in users with one of `roles` (admins pass every check).

    Anonymous browsers are sent to the login page; API clients and users of another role get 401/403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401, description="Login required.")
                return redirect(url_for("auth.login", next=request.full_path))
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403, description="Your role may not open this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
