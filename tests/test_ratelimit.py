"""Per-address limit on anonymous reports: a flood gets 429 with a clear message and stores nothing."""
import pytest
from sqlalchemy import text

from app.config import ConfigError
from app.extensions import db
from app.ratelimit import AddressLimiter, limit_key, parse_rate
from tests.factories import MARKT, offset, post

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2a00:1450:4001:80b::200e"


def test_rates_are_parsed_and_bad_ones_named():
    assert parse_rate("30/hour") == (30, 3600.0)
    assert parse_rate(" 5 / minutes ") == (5, 60.0)
    assert parse_rate("0") is None and parse_rate("") is None
    for bad in ("30", "thirty/hour", "30/week", "0/hour"):
        with pytest.raises(ConfigError, match=r"^REPORT_RATE_LIMIT='.*' cannot be used; .* e\.g\. 30/hour"):
            parse_rate(bad)


def test_only_public_addresses_are_limited_ipv6_per_64():
    assert limit_key(PUBLIC_V4) == PUBLIC_V4
    assert limit_key("::ffff:93.184.216.34") == PUBLIC_V4
    assert limit_key(PUBLIC_V6) == limit_key("2a00:1450:4001:80b:1:2:3:4") == "2a00:1450:4001:80b::/64"
    for own in ("127.0.0.1", "::1", "10.1.2.3", "192.168.0.7", "fd00::1", "not an address", None):
        assert limit_key(own) is None


def test_token_bucket_allows_the_rate_and_refills_evenly():
    limiter = AddressLimiter(3, 3600)
    assert [limiter.hit("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("a", now=0.0) == pytest.approx(1200.0)  # one request per 20 minutes comes back
    assert limiter.hit("b", now=0.0) == 0.0                     # others are not affected
    assert limiter.hit("a", now=1199.0) > 0
    assert limiter.hit("a", now=2400.0) == 0.0


def test_the_number_of_remembered_addresses_stays_bounded():
    limiter = AddressLimiter(2, 60, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}", now=i * 60.0)  # each address is full again a minute later
    assert len(limiter.buckets) <= 100
    for i in range(1000):
        limiter.hit(f"burst{i}", now=100_000.0)  # many at once: forgotten rather than kept growing
    assert len(limiter.buckets) <= 100


@pytest.fixture
def limited_app(apps_on_committing_db):
    return apps_on_committing_db


def _count(app):
    with app.app_context():
        try:
            return db.session.execute(text("SELECT count(*) FROM reports")).scalar()
        finally:
            db.session.remove()


def _post_from(client, n):
    lat, lon = offset(*MARKT, north_m=200 * n)
    return post(client, lat=str(lat), lon=str(lon))


def test_a_flood_from_one_address_gets_429_and_stores_nothing(limited_app):
    app = limited_app(REPORT_RATE_LIMIT="2/hour")
    flood = app.test_client()
    flood.environ_base["REMOTE_ADDR"] = PUBLIC_V4
    assert [_post_from(flood, i).status_code for i in range(2)] == [201, 201]
    before = _count(app)
    resp = _post_from(flood, 2)
    assert resp.status_code == 429
    assert 1700 <= int(resp.headers["Retry-After"]) <= 1801
    assert resp.get_json() == {"errors": [{"field": None, "message": (
        "Zu viele Meldungen aus Ihrem Netz in kurzer Zeit. Bitte versuchen Sie es in 30 Minuten erneut.")}]}
    english = flood.post("/api/v1/reports", data={}, headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many reports from your network" in english.get_data(as_text=True)
    assert flood.post("/api/v1/reports/no-such-token/confirm").status_code == 429  # confirming counts too
    assert _count(app) == before
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = PUBLIC_V6
    assert _post_from(other, 4).status_code == 201
    local = app.test_client()  # the operator's own network (or a proxy not configured): not limited
    assert all(_post_from(local, 5 + i).status_code == 201 for i in range(3))


def test_behind_a_proxy_the_forwarded_address_counts(limited_app):
    app = limited_app(REPORT_RATE_LIMIT="1/hour", PROXY_HOPS=1)
    proxy = app.test_client()
    proxy.environ_base["REMOTE_ADDR"] = "10.0.0.2"

    def via_proxy(client_addr, north_m):
        lat, lon = offset(*MARKT, north_m=north_m)
        return post(proxy, headers={"X-Forwarded-For": client_addr}, lat=str(lat), lon=str(lon)).status_code
    assert via_proxy(PUBLIC_V4, 2000) == 201
    assert via_proxy(PUBLIC_V4, 2200) == 429
    assert via_proxy("93.184.216.35", 2400) == 201


def test_a_bad_limit_stops_the_app_with_a_clear_error(limited_app):
    with pytest.raises(ConfigError, match="REPORT_RATE_LIMIT='lots' cannot be used"):
        limited_app(REPORT_RATE_LIMIT="lots")
