"""A refused staff form comes back as the same page in the staff layout: the message at the field, in the
clerk's language, everything typed kept, nothing stored."""
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import Removal, Report, StatusEvent
from app.services.core.workdays import local_today
from tests.factories import make_building, make_report


def _page(resp):
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def _events(report):
    return len(db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)).all())


def _field(soup, form_id, name):
    return soup.select_one(f"#{form_id} [name={name}]")


def test_a_duplicate_of_a_report_that_does_not_exist_keeps_the_clerk_on_the_job_page(staff_client):
    report = make_report(make_building())
    db.session.commit()
    events = _events(report)
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={
        "to": "duplicate", "duplicate_of": "999999", "note": "gleiche Wand wie gestern",
        "public_message": "Danke, das ist schon gemeldet."})
    assert resp.status_code == 400
    soup = _page(resp)
    assert soup.select_one("nav .staff-nav") is not None, "the staff menu stays"
    field = _field(soup, "status-form", "duplicate_of")
    assert field["value"] == "999999" and field["aria-invalid"] == "true" and field.has_attr("autofocus")
    message = soup.select_one(f"#{field['aria-describedby']}")
    assert message.get_text() == "Es gibt keine Meldung Nr. 999999."
    assert _field(soup, "status-form", "note")["value"] == "gleiche Wand wie gestern"
    assert _field(soup, "status-form", "public_message").get_text() == "Danke, das ist schon gemeldet."
    assert soup.select_one("#status-form button[data-to=verified]")["class"] == ["primary"], "the usual step first"
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "new"
    assert _events(report) == events


def test_a_number_that_is_no_number_is_named_in_english_for_an_english_clerk(staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "duplicate", "duplicate_of": "12a"},
                             headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    soup = _page(resp)
    assert soup.select_one(".field-error").get_text() == "“12a” is not a job number."
    assert _field(soup, "status-form", "duplicate_of")["value"] == "12a"


def test_a_cost_typo_keeps_every_typed_removal_value(staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    typed = {"removed_on": local_today().isoformat(), "crew": "Team Süd", "method": "chemical", "area_m2": "3,5",
             "cost_eur": "12,5O", "note": "Rückseite auch"}
    for lang, message in (("de", "Kosten (EUR): „12,5O“ ist keine Zahl."), ("en", "Cost (EUR): “12,5O” is not a number.")):
        resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data=typed, headers={"Accept-Language": lang})
        assert resp.status_code == 400
        soup = _page(resp)
        assert soup.select_one("nav .staff-nav") is not None
        cost = _field(soup, "removal-form", "cost_eur")
        assert cost["aria-invalid"] == "true" and cost["value"] == "12,5O"
        assert soup.select_one(f"#{cost['aria-describedby']}").get_text() == message
        for name in ("removed_on", "crew", "area_m2", "note"):
            assert _field(soup, "removal-form", name)["value"] == typed[name], name
        assert _field(soup, "removal-form", "method").select_one("option[selected]")["value"] == "chemical"
    assert db.session.scalar(select(Removal).where(Removal.report_id == report.id)) is None
    assert db.session.get(Report, report.id).status == "scheduled"


def test_a_date_typo_on_the_removal_form_is_named_at_the_date(staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "removed_on": "31.13.2026", "method": "paint_over", "area_m2": "2", "cost_eur": "80"})
    assert resp.status_code == 400
    soup = _page(resp)
    day = _field(soup, "removal-form", "removed_on")
    assert day["value"] == "31.13.2026" and day["aria-invalid"] == "true"
    assert "31.13.2026" in soup.select_one(f"#{day['aria-describedby']}").get_text()
    assert _field(soup, "removal-form", "cost_eur")["value"] == "80"


def test_amounts_with_their_unit_are_understood(staff_client):
    report = make_report(make_building(), status="scheduled")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/removal", data={
        "method": "paint_over", "area_m2": "2,5 m²", "cost_eur": "120 EUR"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    removal = db.session.scalar(select(Removal).where(Removal.report_id == report.id))
    assert (float(removal.area_m2), float(removal.cost_eur)) == (2.5, 120.0)


def test_a_refused_transition_is_shown_on_the_job_page_with_the_typed_message(staff_client):
    report = make_report(make_building(), status="closed")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "verified", "note": "nochmal"})
    assert resp.status_code == 409
    soup = _page(resp)
    assert "kann nicht" in soup.select_one(".error-box[role=alert]").get_text()
    assert soup.select_one("nav .staff-nav") is not None


def test_a_rejection_without_a_reason_keeps_the_note(staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "rejected", "note": "kein Graffiti",
                                                                      "public_reply": ""})
    assert resp.status_code == 400
    soup = _page(resp)
    assert _field(soup, "status-form", "note")["value"] == "kein Graffiti"
    assert _field(soup, "status-form", "public_message")["aria-invalid"] == "true"
