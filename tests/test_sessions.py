"""Server-side revocable sessions (issue #12, finding 5): logout, password and role changes end the account's
sessions everywhere; idle and absolute timeouts; cookie attributes; CSRF tokens end with the session."""
import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from app import create_app
from app.extensions import db
from app.models import UserSession
from app.services.core.accounts import create_user
from app.services.core.user_sessions import forget_expired_sessions
from tests.conftest import TEST_PASSWORD


def _user(role="staff"):
    user = create_user(f"s-{uuid.uuid4().hex[:8]}@example.org", TEST_PASSWORD, role)
    db.session.commit()
    return user


def _login(app, user, password=TEST_PASSWORD):
    c = app.test_client()
    resp = c.post("/login", data={"email": user.email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return c


def _copy(app, c):
    """Another client holding the same session cookie (a stolen or copied cookie)."""
    other = app.test_client()
    cookie = c.get_cookie("session")
    other.set_cookie("session", cookie.value, domain=cookie.domain)
    return other


def _inside(c) -> bool:
    resp = c.get("/staff/queue")
    return resp.status_code == 200


def _sessions(user) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def test_a_copied_cookie_stops_working_at_logout(app):
    user = _user()
    c = _login(app, user)
    thief = _copy(app, c)
    other_device = _login(app, user)
    assert _inside(c) and _inside(thief) and _inside(other_device) and _sessions(user) == 2
    assert c.post("/logout").status_code == 302
    assert not _inside(thief) and not _inside(c) and not _inside(other_device)
    assert _sessions(user) == 0


def test_a_password_reset_ends_every_session(app):
    user = _user()
    c = _login(app, user)
    create_user(user.email, "a new password 123", "staff")
    db.session.commit()
    assert not _inside(c)
    assert _inside(_login(app, user, "a new password 123"))


def test_a_role_change_ends_every_session(app):
    user = _user("staff")
    c = _login(app, user)
    assert _inside(c)
    create_user(user.email, TEST_PASSWORD, "police")
    db.session.commit()
    resp = c.get("/staff/queue")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]  # not a 403: logged out


def test_idle_and_absolute_timeouts(app):
    user = _user()
    idle, absolute = _login(app, user), _login(app, user)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.created_at)).all()
    now = datetime.now(UTC)
    minutes, hours = app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_MAX_HOURS"]
    db.session.execute(update(UserSession).where(UserSession.token_hash == rows[0].token_hash)
                       .values(last_seen_at=now - timedelta(minutes=minutes, seconds=5)))
    # busy all the time (seen a moment ago), but logged in longer than the absolute limit
    db.session.execute(update(UserSession).where(UserSession.token_hash == rows[1].token_hash)
                       .values(created_at=now - timedelta(hours=hours, seconds=5), last_seen_at=now))
    db.session.commit()
    assert not _inside(idle) and not _inside(absolute)
    assert forget_expired_sessions() == 2
    fresh = _login(app, user)
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id)
                       .values(last_seen_at=now - timedelta(minutes=minutes - 1)))
    db.session.commit()
    assert _inside(fresh)  # just inside the idle limit


def test_the_cookie_is_lax_httponly_expires_and_secure_over_https(app):
    user = _user()
    c = app.test_client()
    resp = c.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie
    expires = c.get_cookie("session").expires
    assert timedelta(hours=app.config["SESSION_MAX_HOURS"] - 1) < expires - datetime.now(UTC) \
        <= timedelta(hours=app.config["SESSION_MAX_HOURS"])
    resp = app.test_client().post("/login", data={"email": user.email, "password": TEST_PASSWORD},
                                  base_url="https://localhost")
    assert "Secure" in resp.headers["Set-Cookie"]


def test_csrf_tokens_end_with_the_session(app):
    """With CSRF on: a token from a logged-in page is refused once the session ended; tokens last no longer
    than the session."""
    csrf_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                           "SERVER_NAME": "localhost"})
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] == csrf_app.config["SESSION_MAX_HOURS"] * 3600
    user = _user()
    c = csrf_app.test_client()

    def token(url):
        return re.search(r'name="csrf_token" value="([^"]+)"', c.get(url).get_data(as_text=True)).group(1)

    resp = c.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token("/login")})
    assert resp.status_code == 302
    old = token("/staff/queue")
    assert c.post("/logout", data={"csrf_token": old}).status_code == 302
    resp = c.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": old})
    assert resp.status_code == 400  # the old session's token does not outlive it
