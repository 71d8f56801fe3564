"""The installable web app's server side: the service worker at /sw.js, the manifest, "my reports" page.

What the browser does with them (offline queue, delivery once, installability) is tested in Chromium in
tests/browser/test_citizen_offline.py.
"""
import json
import re
from io import BytesIO

from PIL import Image

from app.public import pwa


def _worker_config(client) -> dict:
    body = client.get("/sw.js").get_data(as_text=True)
    first, _, rest = body.partition("\n")
    assert first.startswith("self.PWA = ") and first.endswith(";")
    assert 'importScripts("/static/js/outbox.js")' in rest
    return json.loads(first[len("self.PWA = "):-1])


def test_the_service_worker_is_served_from_the_root_uncached_with_what_it_keeps(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    config = _worker_config(client)
    assert config["pages"] == ["/", "/melden", "/meine-meldungen"]
    assert config["data"] == ["/api/v1/city", "/manifest.webmanifest"]
    assert "/static/js/report.js" in config["assets"] and "/static/vendor/leaflet/leaflet.js" in config["assets"]
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    # Everything it keeps exists: one missing file would leave a page without its script offline.
    for url in config["pages"] + config["data"] + config["assets"]:
        with client.get(url) as resp:
            assert resp.status_code == 200, url


def test_the_worker_version_changes_with_any_file_it_keeps(app, tmp_path):
    static = tmp_path / "static"
    for rel in ("js/sw.js", *pwa.OFFLINE_ASSETS):
        (static / rel).parent.mkdir(parents=True, exist_ok=True)
        (static / rel).write_bytes(b"v1 " + rel.encode())
    before = pwa._version(str(static))
    (static / "js/report.js").write_bytes(b"changed")
    pwa._version.cache_clear()
    assert pwa._version(str(static)) != before


def test_the_pages_every_script_comes_from_a_file(client):
    """The security helper's Content-Security-Policy allows no inline scripts: only JSON data blocks."""
    for path in ("/", "/melden", "/meine-meldungen"):
        page = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert 'src="/static/js/pwa.js" data-sw="/sw.js"' in page


def test_the_manifest_names_the_app_in_the_visitors_language_with_icons_that_exist(client):
    de = client.get("/manifest.webmanifest?lang=de")
    assert de.mimetype == "application/manifest+json"
    de = de.get_json()
    en = client.get("/manifest.webmanifest?lang=en").get_json()
    assert (de["short_name"], en["short_name"]) == ("Graffiti melden", "Report graffiti")
    assert (de["lang"], en["lang"]) == ("de", "en")
    assert de["name"] == "Graffiti melden – Heilbronn" and de["start_url"] == "/" and de["display"] == "standalone"
    assert [s["url"] for s in en["shortcuts"]] == ["/melden", "/meine-meldungen"]
    for icon in de["icons"]:
        with client.get(icon["src"]) as resp, Image.open(BytesIO(resp.data)) as img:
            assert img.format == "PNG" and f"{img.width}x{img.height}" == icon["sizes"]
    assert {(i["sizes"], i["purpose"]) for i in de["icons"]} >= {("192x192", "any"), ("512x512", "any"),
                                                                  ("512x512", "maskable")}


def test_my_reports_is_linked_from_the_start_page_and_after_sending_in_both_languages(client):
    assert 'href="/meine-meldungen"' in client.get("/?lang=de").get_data(as_text=True)
    report = client.get("/melden").get_data(as_text=True)
    assert 'href="/meine-meldungen">Meine Meldungen auf diesem Telefon' in report
    assert 'id="outbox"' in report and 'data-timezone="Europe/Berlin"' in report
    page = client.get("/meine-meldungen?lang=de").get_data(as_text=True)
    assert "Meine Meldungen auf diesem Telefon" in page and "nicht auf unserem Server" in page
    page = client.get("/meine-meldungen?lang=en").get_data(as_text=True)
    assert "My reports on this phone" in page and "not on our server" in page
    texts = json.loads(re.search(r'<script id="my-reports-i18n" type="application/json">(.*?)</script>', page,
                                 re.S).group(1))
    assert texts["statuses"]["new"] == "Received" and texts["categories"]["graffiti"] == "Graffiti"
