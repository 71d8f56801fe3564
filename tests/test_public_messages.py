"""Messages of the city to the citizen with a status change: canned replies and free text, on the status page
and in the status e-mail, in the reader's language; a rejection must say why; internal notes stay internal."""
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import Report, StatusEvent
from app.services.core.workflow import change_status, public_text
from tests.factories import make_building, make_report, post
from tests.test_citizen_pages import new_mail, outbox


def _status(client, report_id, **form):
    return client.post(f"/staff/jobs/{report_id}/status", data=form)


def _events(report_id):
    return list(db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report_id)
                                   .order_by(StatusEvent.id)))


def test_a_rejection_without_a_reason_is_refused_and_nothing_is_written(staff_client):
    report = make_report(make_building())
    db.session.commit()
    before = len(_events(report.id))
    resp = _status(staff_client, report.id, to="rejected", note="only internal", public_message="  ")
    assert resp.status_code == 400
    assert "warum" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "new" and len(_events(report.id)) == before


def test_a_rejection_with_a_canned_reply_reaches_the_status_page_and_the_mail_in_the_readers_language(
        app, client, staff_client):
    make_building()
    body = post(client, email="tom@example.org", headers={"Accept-Language": "en"}).get_json()
    before = len(outbox(app))
    resp = _status(staff_client, body["id"], to="rejected", note="Kollege sagt: Kunstprojekt Müller",
                   public_reply="permitted_art")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    german = client.get(f"/r/{body['token']}?lang=de").get_data(as_text=True)
    assert "Nachricht der Stadt" in german and "genehmigte Wandgestaltung" in german
    english = client.get(f"/r/{body['token']}?lang=en").get_data(as_text=True)
    assert "Message from the city" in english and "This is a permitted mural" in english
    assert "Kunstprojekt" not in german + english  # the internal note stays internal
    mail = new_mail(app, before)
    assert len(mail) == 1 and mail[0]["To"] == "tom@example.org"
    text = mail[0].get_content()
    assert "Message from the City of Heilbronn:\nThis is a permitted mural" in text and "Kunstprojekt" not in text


def test_free_text_is_kept_as_typed_and_escaped_and_follows_the_canned_reply(client, staff_client):
    make_building()
    body = post(client).get_json()
    resp = _status(staff_client, body["id"], to="rejected", public_reply="not_city",
                   public_message="Bitte wenden Sie sich an <b>die Bahn</b>.\nDanke!")
    assert resp.status_code == 302
    event = _events(body["id"])[-1]
    assert (event.public_reply, event.public_message) == ("not_city", "Bitte wenden Sie sich an <b>die Bahn</b>.\nDanke!")
    history = client.get(f"/api/v1/reports/{body['token']}", headers={"Accept-Language": "en"}).get_json()["history"]
    assert history[-1]["status"] == "rejected"
    assert history[-1]["message"].startswith("The surface does not belong to the city")
    assert history[-1]["message"].endswith("<b>die Bahn</b>.\nDanke!") and history[0]["message"] is None
    page = client.get(f"/r/{body['token']}?lang=de").get_data(as_text=True)
    assert "&lt;b&gt;die Bahn&lt;/b&gt;" in page and "<b>die Bahn</b>" not in page
    with client.application.test_request_context("/?lang=de"):
        assert public_text(event).startswith("Die Fläche gehört nicht der Stadt") and public_text(event).endswith("Danke!")


def test_a_message_is_optional_for_other_changes_and_shown_to_staff_in_the_history(staff_client):
    report = make_report(make_building())
    db.session.commit()
    assert _status(staff_client, report.id, to="verified").status_code == 302
    assert _status(staff_client, report.id, to="scheduled", public_reply="crew_ordered",
                   public_message="Voraussichtlich am Montag.").status_code == 302
    verified, scheduled = _events(report.id)[-2:]
    assert (verified.public_reply, verified.public_message) == (None, None)
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    history = page[page.index('class="history"'):]
    assert "ein Trupp kommt in den nächsten Tagen" in history and "Voraussichtlich am Montag." in history


def test_unknown_canned_replies_and_overlong_messages_are_refused(staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = _status(staff_client, report.id, to="rejected", public_reply="go_away")
    assert resp.status_code == 400 and "go_away" in resp.get_data(as_text=True)
    resp = _status(staff_client, report.id, to="rejected", public_message="x" * 2001)
    assert resp.status_code == 400 and "2000" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "new"


def test_the_job_page_offers_the_canned_replies_that_fit_each_change(staff_client):
    report = make_report(make_building())
    db.session.commit()
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    replies = {g["label"]: [o["value"] for o in g.select("option")]
               for g in soup.select("#status-form select[name=public_reply] optgroup")}
    assert replies["Ablehnen"] == ["nothing_found", "already_gone", "permitted_art", "not_city", "place_unclear"]
    assert replies["Bestätigen"] == ["checked"] and "checked" not in replies["Ablehnen"]
    assert "bei Ablehnung Pflicht" in soup.select_one("#status-form textarea[name=public_message]").parent.get_text()
    english = staff_client.get(f"/staff/jobs/{report.id}?lang=en").get_data(as_text=True)
    assert "Message to the citizen" in english and "On site we found no damage" in english


def test_change_status_keeps_the_public_message_for_every_channel(app):
    report = make_report(make_building())
    event = change_status(report, "verified", public_message="  Danke!  ")
    assert (event.public_reply, event.public_message) == (None, "Danke!")
    with app.test_request_context("/?lang=en"):
        assert public_text(event) == "Danke!"
        assert public_text(change_status(report, "scheduled")) is None
