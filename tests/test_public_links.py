"""Links that leave the service come from the trusted public address (issue #12, finding 2)."""
import logging
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, from_env, trusted_hosts
from tests.factories import MARKT, post


def _mails(app) -> list[str]:
    return [p.read_text() for p in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*"))]


def test_a_forged_host_header_is_refused_before_any_link_is_made(app, client, caplog):
    before = len(_mails(app))
    resp = post(client, headers={"Host": "evil.example"}, email="citizen@example.org",
                lat=str(MARKT[0]), lon=str(MARKT[1]))
    assert resp.status_code == 400
    assert len(_mails(app)) == before
    assert client.get("/open311/v2/discovery.json", headers={"Host": "evil.example"}).status_code == 400
    page = client.get("/karte", headers={"Host": "evil.example"})
    assert page.status_code == 400 and page.mimetype == "text/plain"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a refusal, not a failure
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200  # a port is fine
    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 200


def test_links_come_from_public_base_url_whatever_the_host(app):
    public = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "PUBLIC_BASE_URL": "https://graffiti.example.org", "WTF_CSRF_ENABLED": False})
    c = public.test_client()
    doc = c.get("/open311/v2/discovery.json", headers={"Host": "localhost"}).get_json()
    assert doc["endpoints"][0]["url"] == "https://graffiti.example.org/open311/v2/"
    assert c.get("/", headers={"Host": "graffiti.example.org"}).status_code == 200
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400
    with public.test_request_context("/", headers={"Host": "localhost"}):
        from app.services.citizen.notifications import status_link

        assert status_link("abc") == "https://graffiti.example.org/r/abc"


def test_trusted_hosts_setting():
    assert trusted_hosts([], "") == ["localhost", "127.0.0.1"]
    assert trusted_hosts([], "https://graffiti.example.org") == ["graffiti.example.org", "localhost", "127.0.0.1"]
    assert trusted_hosts(["a.example.org", ".b.example.org"], "") == ["a.example.org", ".b.example.org"]
    assert trusted_hosts(["*"], "") is None
    assert from_env({"SECRET_KEY": "x", "TRUSTED_HOSTS": "a.example.org, localhost"})["TRUSTED_HOSTS"] == [
        "a.example.org", "localhost"]
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        from_env({"SECRET_KEY": "x", "TRUSTED_HOSTS": "http://a.example.org/"})
