"""Citizen pages (form, status page, map) and e-mail notifications of status changes."""
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from app.extensions import db
from app.models import Report
from app.services.citizen.retention import purge_reporter_contacts
from app.services.core.workflow import change_status
from tests.factories import MARKT, jpeg_bytes, make_building, offset, post


def outbox(app) -> list:
    d = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(d.glob("*.eml")) if d.exists() else []
    return [message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]


def new_mail(app, before: int) -> list:
    return outbox(app)[before:]


def test_report_form_and_map_pages_render_in_german_and_english(client):
    page = client.get("/melden").get_data(as_text=True)
    assert "Meinen Standort verwenden" in page and 'capture="environment"' in page and "Datenschutz" in page
    assert "/static/vendor/leaflet/leaflet.js" in page and "unpkg" not in page and "cdn" not in page.lower()
    page = client.get("/melden?lang=en").get_data(as_text=True)
    assert "Use my location" in page and "Privacy: what we store" in page
    page = client.get("/karte?lang=de").get_data(as_text=True)
    assert "markercluster" in page and "Karte der Meldungen" in page


def test_the_start_page_links_to_the_report_form_and_the_map(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/melden"' in page and 'href="/karte"' in page


def test_the_status_page_shows_status_history_and_thumbnails_without_personal_data(client):
    make_building(*MARKT, address="Marktplatz 7, Heilbronn", name="Rathaus")
    body = post(client, email="anna@example.org", description="<script>alert(1)</script>",
                photos=[jpeg_bytes()]).get_json()
    resp = client.get(f"/r/{body['token']}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Eingegangen" in page and "Rathaus, Marktplatz 7, Heilbronn" in page and "/media/" in page
    assert "anna@example.org" not in page and "alert(1)" not in page
    assert "Received" in client.get(f"/r/{body['token']}?lang=en").get_data(as_text=True)


def test_the_status_page_of_a_duplicate_shows_the_first_report(client):
    first = post(client).get_json()
    lat, lon = offset(*MARKT, east_m=5)
    dup = post(client, lat=str(lat), lon=str(lon)).get_json()
    assert dup["duplicate_of"] == first["id"]
    page = client.get(f"/r/{dup['token']}").get_data(as_text=True)
    assert "Bereits gemeldet" in page and "Stand der ersten Meldung" in page


def test_an_unknown_status_link_is_a_404_page(client):
    resp = client.get("/r/nope", headers={"Accept": "text/html"})
    assert resp.status_code == 404 and "Keine Meldung" in resp.get_data(as_text=True)


def test_a_report_with_email_gets_a_receipt_and_status_messages(app, client):
    before = len(outbox(app))
    body = post(client, email="anna@example.org").get_json()
    mails = new_mail(app, before)
    assert len(mails) == 1 and mails[0]["To"] == "anna@example.org"
    assert f"/r/{body['token']}" in mails[0].get_content()

    report = db.session.get(Report, body["id"])
    change_status(report, "verified")
    db.session.commit()
    mails = new_mail(app, before)
    assert len(mails) == 2 and "Geprüft" in mails[1]["Subject"] and f"/r/{body['token']}" in mails[1].get_content()


def test_messages_are_in_the_reporters_language_and_reach_reporters_of_duplicates(app, client):
    first = post(client).get_json()                       # no e-mail: nobody to tell
    before = len(outbox(app))
    client.post("/api/v1/reports", data={"lat": str(MARKT[0]), "lon": str(MARKT[1]), "category": "graffiti",
                                         "email": "tom@example.org"}, headers={"Accept-Language": "en"})
    assert len(new_mail(app, before)) == 1
    change_status(db.session.get(Report, first["id"]), "verified")
    db.session.commit()
    mails = new_mail(app, before)
    assert len(mails) == 2 and mails[1]["To"] == "tom@example.org" and mails[1]["Subject"] == "Your report: Verified"


def test_no_message_is_sent_for_a_change_that_was_rolled_back(app, client):
    body = post(client, email="anna@example.org").get_json()
    before = len(outbox(app))
    change_status(db.session.get(Report, body["id"]), "verified")
    db.session.rollback()
    assert new_mail(app, before) == []


def test_reports_without_email_send_nothing(app, client):
    before = len(outbox(app))
    body = post(client).get_json()
    change_status(db.session.get(Report, body["id"]), "verified")
    db.session.commit()
    assert new_mail(app, before) == []


def test_contact_data_is_forgotten_90_days_after_a_report_is_finished(client):
    old = post(client, email="old@example.org").get_json()
    lat, lon = offset(*MARKT, north_m=100)
    recent = post(client, email="new@example.org", lat=str(lat), lon=str(lon)).get_json()
    for rid, days in ((old["id"], 91), (recent["id"], 10)):
        r = db.session.get(Report, rid)
        r.status, r.closed_at = "closed", datetime.now(UTC) - timedelta(days=days)
    db.session.commit()
    assert purge_reporter_contacts() == 1
    assert db.session.get(Report, old["id"]).reporter_email is None
    assert db.session.get(Report, recent["id"]).reporter_email == "new@example.org"


def test_the_purge_command_reports_how_many_reports_it_cleaned(runner, client):
    body = post(client, email="gone@example.org").get_json()
    r = db.session.get(Report, body["id"])
    r.status, r.closed_at = "rejected", datetime.now(UTC) - timedelta(days=200)
    db.session.commit()
    result = runner.invoke(args=["public", "purge-contacts", "--days", "90"])
    assert result.exit_code == 0 and "contact data removed from 1 reports" in result.output
    assert db.session.get(Report, body["id"]).reporter_email is None


def test_long_words_get_soft_hyphens_by_the_readers_language_and_stay_escaped(app):
    from flask_babel import force_locale

    from app.i18n import hyphenate

    with app.test_request_context():
        with force_locale("de"):
            assert hyphenate("Andere Sachbeschädigung") == "Andere Sach\u00adbe\u00adschä\u00addi\u00adgung"
            assert hyphenate("<b>Graffiti</b> & Kratzer") == "&lt;b&gt;Graffiti&lt;/b&gt; &amp; Kratzer"
        with force_locale("en"):
            assert hyphenate("Scratching / etching") == "Scratch\u00ading / etching"
        assert hyphenate(None) == ""
