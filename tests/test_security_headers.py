"""Security headers on every response (issue #12, finding 7): CSP with a per-request nonce, no framing by other
sites, nosniff, same-origin referrers, HSTS only over HTTPS (directly or through a trusted proxy)."""
import html
import re

from app import create_app
from tests.factories import make_building, make_report

BASE_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


def _check(resp):
    for name in BASE_HEADERS:
        assert name in resp.headers, name
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp) and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_every_kind_of_response_carries_the_headers(app, client, staff_client, police_client):
    for c, url in [(client, "/"), (client, "/melden"), (client, "/api/v1/city"), (client, "/static/app.css"),
                   (client, "/sw.js"), (client, "/nowhere"), (client, "/staff/queue"), (client, "/api/v1/staff/jobs"),
                   (staff_client, "/staff/queue"), (police_client, "/police/tags"), (client, "/api/v1/docs"),
                   (client, "/open311/v2/discovery.json")]:
        resp = c.get(url)
        resp.close()
        _check(resp)
        assert "Strict-Transport-Security" not in resp.headers, url  # plain HTTP: no HSTS


def test_each_request_gets_its_own_nonce(client):
    nonces = {re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]).group(1)
              for _ in range(3)}
    assert len(nonces) == 3


def _nonce(resp):
    return re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)


def test_folium_documents_sign_their_inline_scripts_and_only_those(app, police_client):
    report = make_report(make_building(), description="<script>alert(1)</script>")
    from app.extensions import db
    from app.services.police import tags

    tag = tags.attach(report, "<script>x</script>", police_client.user)
    db.session.commit()
    for url in ("/police/map/frame", f"/police/tags/{tag.id}/map"):
        resp = police_client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        scripts = re.findall(r"<script[^>]*>", html)
        inline = [s for s in scripts if "src=" not in s]
        assert inline, url
        assert all(f'nonce="{_nonce(resp)}"' in s for s in inline), (url, inline)
        assert "<script>x</script>" not in html and "<script>alert(1)</script>" not in html


def test_hsts_over_https(client):
    resp = client.get("/static/app.css", base_url="https://localhost")
    resp.close()
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_hsts_behind_a_trusted_proxy_only(app):
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "PROXY_HOPS": 1})
    with proxied.test_client() as c:
        resp = c.get("/static/app.css", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
        resp.close()
        assert "Strict-Transport-Security" in resp.headers
    # without PROXY_HOPS the header is not trusted
    with app.test_client() as c:
        resp = c.get("/static/app.css", headers={"X-Forwarded-Proto": "https"})
        resp.close()
        assert "Strict-Transport-Security" not in resp.headers


def test_the_planning_pages_srcdoc_map_signs_its_scripts(staff_client):
    """An <iframe srcdoc> document runs under the page's policy: its inline scripts need the page's nonce."""
    resp = staff_client.get("/staff/plans/new")
    assert resp.status_code == 200
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', resp.get_data(as_text=True)).group(1))
    inline = [s for s in re.findall(r"<script[^>]*>", srcdoc) if "src=" not in s]
    assert inline and all(f'nonce="{_nonce(resp)}"' in s for s in inline), inline
