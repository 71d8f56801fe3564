"""Owners of private buildings: contact data on the building, the city's letter (PDF, German, with photo,
address, what the city asks and by when), recorded in the job's history."""
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import Building, Report, StatusEvent
from app.services.core.workdays import local_today, working_days_after
from tests.factories import make_building, make_report


def _contact(client, building, report, **fields):
    return client.post(f"/staff/buildings/{building.id}/owner", data={"job": str(report.id), **fields})


def test_a_bad_e_mail_keeps_the_typed_contact_on_the_job_page(staff_client):
    building = make_building(owner_type="private", address="Lohtorstraße 7")
    report = make_report(building, status="verified")
    db.session.commit()
    resp = _contact(staff_client, building, report, owner_name="Erika Muster", owner_email="erika(at)example")
    assert resp.status_code == 400
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    assert soup.select_one("#owner-form [name=owner_name]")["value"] == "Erika Muster"
    assert soup.select_one("#owner-form [name=owner_email]")["aria-invalid"] == "true"
    assert db.session.get(Building, building.id).owner_name is None


def test_the_letter_needs_a_name_and_an_address(staff_client):
    report = make_report(make_building(owner_type="private"), status="verified")
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/owner-letter")
    assert resp.status_code == 400 and "Name des Eigentümers" in resp.get_data(as_text=True)
    assert db.session.get(Report, report.id).status == "verified"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_letter_names_the_address_and_the_deadline_and_is_in_the_history(staff_client, tmp_path):
    building = make_building(owner_type="private", address="Lohtorstraße 7")
    report = make_report(building, status="verified", description="Tag am Hoftor")
    db.session.commit()
    assert _contact(staff_client, building, report, owner_name="Erika Muster",
                    owner_address="Musterweg 1\n74072 Heilbronn", owner_email="erika@example.org").status_code == 302
    assert staff_client.post(f"/staff/jobs/{report.id}/owner-letter").status_code == 302
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "notify_owner"
    deadline = working_days_after(local_today(), staff_client.application.config["SLA_OTHER_WORKDAYS"]).strftime("%d.%m.%Y")
    event = db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)
                               .order_by(StatusEvent.id.desc())).first()
    assert event.to_status == "notify_owner" and "Erika Muster" in event.note and deadline in event.note
    resp = staff_client.get(f"/staff/jobs/{report.id}/owner-letter.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Lohtorstraße 7" in text and "Erika Muster" in text and "74072 Heilbronn" in text
    assert f"bis zum {deadline}" in text
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert "owner-letter.pdf" in page
