"""The job page: a map of the building, the citizen's pin and the open jobs nearby; one action panel in the
order work goes."""
import json

from bs4 import BeautifulSoup

from app.extensions import db
from app.services.staff.job_map import NEARBY_METRES, job_map
from app.services.staff.triage import next_steps
from tests.factories import MARKT, make_building, make_report, offset


def test_the_map_shows_the_footprint_the_pin_and_open_jobs_nearby_one_per_building(app):
    here = make_building(address="Marktplatz 1")
    report = make_report(here)
    make_report(here)                                                    # same building: this job, not a neighbour
    near = make_building(*offset(*MARKT, east_m=150), address="Kaiserstraße 5")
    near_job = make_report(near, offensive=True)
    make_report(near)                                                    # the same job: listed once
    make_report(make_building(*offset(*MARKT, north_m=80)), status="closed")   # finished: not shown
    far = make_report(make_building(*offset(*MARKT, east_m=NEARBY_METRES + 300)))
    db.session.flush()
    data = job_map(report)
    assert data["footprint"]["type"] == "MultiPolygon"
    assert abs(data["report"][0] - MARKT[0]) < 1e-4 and abs(data["report"][1] - MARKT[1]) < 1e-4
    ids = [j["id"] for j in data["nearby"]]
    assert ids == [near_job.id] and far.id not in ids
    job = data["nearby"][0]
    assert 140 <= job["metres"] <= 160 and job["address"] == "Kaiserstraße 5" and job["priority"] == 1


def test_the_page_embeds_the_map_data_escaped(staff_client):
    building = make_building(address="<b>Haus</b> 'A'")
    report = make_report(building)
    make_report(make_building(*offset(*MARKT, east_m=100), address="x'><script>alert(1)</script>"))
    db.session.commit()
    html = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>Haus" not in html
    soup = BeautifulSoup(html, "html.parser")
    data = json.loads(soup.select_one("#job-map")["data-map"])
    assert data["nearby"][0]["address"] == "x'><script>alert(1)</script>"
    assert soup.select_one("script[src$='js/staff_job.js']") is not None


def test_one_action_panel_in_workflow_order(staff_client):
    municipal = make_report(make_building())
    private = make_report(make_building(owner_type="private"), status="verified")
    crew = make_report(make_building(), status="verified")
    db.session.commit()
    assert next_steps(municipal) == ["verified", "rejected", "duplicate"]
    assert next_steps(private) == ["notify_owner", "scheduled", "rejected", "duplicate"]
    assert next_steps(crew) == ["scheduled", "notify_owner", "rejected", "duplicate"]
    soup = BeautifulSoup(staff_client.get(f"/staff/jobs/{municipal.id}").get_data(as_text=True), "html.parser")
    assert len(soup.select("form#status-form")) == 1
    assert [b["data-to"] for b in soup.select("#status-form button[data-to]")] == ["verified", "rejected", "duplicate"]
    assert len(soup.select("#status-form [name=note]")) == 1 and len(soup.select("#status-form [name=public_message]")) == 1
    groups = [g["label"] for g in soup.select("#status-form select[name=public_reply] optgroup")]
    assert len(groups) == 3


def test_a_canned_reply_of_another_step_is_refused_at_the_field(staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "verified", "public_reply": "not_city"},
                             headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    field = soup.select_one("#status-form select[name=public_reply]")
    assert field["aria-invalid"] == "true" and field.select_one("option[selected]")["value"] == "not_city"
    assert "does not fit" in soup.select_one(f"#{field['aria-describedby']}").get_text()
    assert db.session.get(type(report), report.id).status == "new"
