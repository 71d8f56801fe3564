"""A per-address limit on anonymous report submissions: a flood must not bury the staff queue.

Counted in memory per worker process (no database round trip on the report's fast path), so the effective
limit is up to the number of workers times REPORT_RATE_LIMIT. Only global (public) addresses are limited,
IPv6 ones by their /64 network (one household or phone); loopback and private addresses are the operator's
own network or a reverse proxy whose clients cannot be told apart. Behind a proxy, PROXY_HOPS makes
`request.remote_addr` the client's address as the proxy saw it.
"""
import ipaddress
import threading
import time
from functools import lru_cache, wraps

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import parse_rate
from app.errors import error_response

EXTENSION = "report_limiter"


@lru_cache(maxsize=4096)
def limit_key(addr: str | None) -> str | None:
    """The key an address is counted under: itself, its /64 for IPv6; None for addresses not limited."""
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return None
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if not ip.is_global:
        return None
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class AddressLimiter:
    """Token buckets per key: `count` requests, refilled evenly over `per_s` seconds."""

    def __init__(self, count: int, per_s: float, max_keys: int = 100_000):
        self.capacity, self.rate, self.max_keys = float(count), count / per_s, max_keys
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one request: 0 when allowed, else the seconds until the next one from `key` would be."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self.buckets[key] = (tokens - 1, now)
            if len(self.buckets) > self.max_keys:
                self._forget_full(now)
            return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have filled up again (they are as good as new); all of them if that is not enough."""
        refill_s = self.capacity / self.rate
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < refill_s}
        if len(self.buckets) > self.max_keys:  # very many addresses at once: forget rather than grow
            self.buckets.clear()


def seconds_over_limit() -> float:
    """Count this request against its address's REPORT_RATE_LIMIT: 0 when allowed, else the seconds to wait.
    Every channel that files reports (web form, JSON API, Open311) counts in the same bucket."""
    limiter = current_app.extensions.get(EXTENSION)
    key = limit_key(request.remote_addr) if limiter else None
    return limiter.hit(key) if key else 0.0


def too_many_message(wait: float) -> str:
    """The answer's text when the address is over the limit for `wait` more seconds."""
    return _("Zu viele Meldungen aus Ihrem Netz in kurzer Zeit. Bitte versuchen Sie es in %(minutes)d Minuten "
             "erneut.", minutes=max(1, round(wait / 60)))


def limited(view):
    """Refuse the view with 429 and Retry-After when the client's address is over REPORT_RATE_LIMIT."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        wait = seconds_over_limit()
        if wait:
            return error_response([(None, too_many_message(wait))], 429, headers={"Retry-After": str(int(wait) + 1)})
        return view(*args, **kwargs)
    wrapped.form_checked_in_view = True  # its form is read after the limit (app/inputguard.py leaves it alone)
    return wrapped


def init_app(app: Flask) -> None:
    """Trust PROXY_HOPS reverse proxies for the client address; set up REPORT_RATE_LIMIT."""
    hops = int(app.config["PROXY_HOPS"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    rate = parse_rate(app.config["REPORT_RATE_LIMIT"])
    if rate:
        app.extensions[EXTENSION] = AddressLimiter(*rate)
