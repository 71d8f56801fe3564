"""The session cookie interface, with its signing serializer built once instead of on every request.

Flask's SecureCookieSessionInterface builds a URLSafeTimedSerializer (which serializes a test value to
find out its type) for every request that opens a session, about 0.1 ms, also for API calls that never
touch the session. The serializer keeps no state between calls, so one per secret key is enough.
"""
from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), self.salt)
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer

    def get_cookie_secure(self, app):
        """Secure when configured, when this request came over HTTPS (behind a proxy: PROXY_HOPS and its
        X-Forwarded-Proto), when the public address is https or PREFERRED_URL_SCHEME is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)
                    or app.config["PUBLIC_BASE_URL"].startswith("https://")
                    or app.config["PREFERRED_URL_SCHEME"] == "https")
