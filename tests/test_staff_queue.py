"""The queue a clerk works through: priority filter (the overview's urgent card counts what it links to), search
by address or number, sorting, thumbnails, "my jobs" and bulk actions (every job or none)."""
import re

from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db
from app.models import Photo, Report, StatusEvent
from app.services.staff import triage
from tests.factories import MARKT, make_building, make_report, offset


def _rows(client, query=""):
    resp = client.get(f"/staff/queue?per_page=500&{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return [int(tr["data-job"]) for tr in BeautifulSoup(resp.get_data(as_text=True), "html.parser")
            .select("table.queue tr[data-job]")]


def test_the_urgent_card_links_to_exactly_the_jobs_it_counts(staff_client):
    make_report(make_building(), offensive=True)
    make_report(make_building(*offset(*MARKT, east_m=60)))                      # municipal: priority 2
    make_report(make_building(*offset(*MARKT, east_m=120), owner_type="public"))  # 3
    make_report(make_building(*offset(*MARKT, east_m=180), owner_type="private"))  # 4
    db.session.commit()
    page = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    card = page.select_one("b[data-count=urgent]").parent
    count = int(page.select_one("b[data-count=urgent]").get_text())
    assert count == triage.summary()["urgent"] >= 2
    listed = _rows(staff_client, card["href"].split("?", 1)[1])
    assert len(listed) == count
    assert all(db.session.get(Report, i).priority <= 2 for i in listed)


def test_search_by_address_or_number_and_sorting(staff_client):
    a = make_report(make_building(address="Kaiserstraße 12"))
    b = make_report(make_building(*offset(*MARKT, east_m=80), address="Allee 3"))
    db.session.commit()
    assert _rows(staff_client, "q=kaiserstr") == [a.id]
    assert _rows(staff_client, f"q=%23{b.id}") == [b.id]
    assert _rows(staff_client, "q=100%25") == []                     # LIKE wildcards are text
    by_age = _rows(staff_client, "sort=age")
    assert by_age == sorted(by_age, key=lambda i: (db.session.get(Report, i).created_at, i))
    by_due = _rows(staff_client, "sort=due")
    dues = [db.session.get(Report, i).due_at for i in by_due]
    assert dues == sorted(dues)


def test_a_bad_filter_is_shown_at_its_field_with_the_queue(staff_client):
    resp = staff_client.get("/staff/queue?sort=colour&min_age=x", headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    assert soup.select_one("nav .staff-nav") is not None and soup.select_one("table.queue") is not None
    field = soup.select_one("#queue-filters [name=min_age]")
    assert field["aria-invalid"] == "true" and field["value"] == "x"


def test_thumbnails_in_the_queue(staff_client):
    report = make_report(make_building())
    db.session.add(Photo(report_id=report.id, kind="report", sha256="a" * 64, filename="a" * 64 + ".jpg",
                         thumb_filename="a" * 64 + "_t.jpg", width=640, height=480))
    db.session.commit()
    html = staff_client.get(f"/staff/queue?q=%23{report.id}").get_data(as_text=True)
    assert re.search(r'<img class="thumb" src="/staff/photos/a{64}_t\.jpg"', html)


def test_assign_in_bulk_and_my_jobs(staff_client):
    me = staff_client.user
    jobs = [make_report(make_building(*offset(*MARKT, east_m=70 * i))) for i in range(3)]
    db.session.commit()
    resp = staff_client.post("/staff/queue/bulk", data={"action": "assign", "assignee": str(me.id),
                                                        "jobs": [str(jobs[0].id), str(jobs[1].id)]})
    assert resp.status_code == 302
    assert sorted(_rows(staff_client, "assignee=me")) == sorted([jobs[0].id, jobs[1].id])
    assert jobs[2].id in _rows(staff_client, "assignee=none")
    html = staff_client.get(f"/staff/queue?q=%23{jobs[0].id}").get_data(as_text=True)
    assert (me.display_name or me.email) in BeautifulSoup(html, "html.parser").select_one("td.assignee").get_text()
    job_page = staff_client.get(f"/staff/jobs/{jobs[0].id}").get_data(as_text=True)
    assert (me.display_name or me.email) in BeautifulSoup(job_page, "html.parser").select_one("td.assignee").get_text()


def test_bulk_reject_needs_a_message_and_then_tells_every_citizen(staff_client):
    jobs = [make_report(make_building(*offset(*MARKT, east_m=70 * i))) for i in range(2)]
    db.session.commit()
    ids = [str(j.id) for j in jobs]
    resp = staff_client.post("/staff/queue/bulk", data={"action": "rejected", "jobs": ids})
    assert resp.status_code == 400
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    assert soup.select_one("#bulk-form [name=public_message]")["aria-invalid"] == "true"
    assert sorted(i["value"] for i in soup.select("input[name=jobs][checked]")) == sorted(ids), "the choice is kept"
    resp = staff_client.post("/staff/queue/bulk", data={"action": "rejected", "jobs": ids,
                                                        "public_reply": "permitted_art"})
    assert resp.status_code == 302
    for job in jobs:
        db.session.refresh(job)
        event = db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == job.id)
                                   .order_by(StatusEvent.id.desc())).first()
        assert job.status == "rejected" and event.public_reply == "permitted_art"


def test_bulk_verify_is_every_job_or_none(staff_client):
    fresh = make_report(make_building())
    closed = make_report(make_building(*offset(*MARKT, east_m=90)), status="closed")
    db.session.commit()
    resp = staff_client.post("/staff/queue/bulk", data={"action": "verified", "jobs": [str(fresh.id), str(closed.id)]},
                             headers={"Accept-Language": "en"})
    assert resp.status_code == 409
    assert f"#{closed.id}:" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Report, fresh.id).status == "new"


def test_add_to_a_plan_opens_the_plan_builder_with_the_jobs(staff_client):
    job = make_report(make_building(), status="verified")
    db.session.commit()
    resp = staff_client.post("/staff/queue/bulk", data={"action": "plan", "jobs": [str(job.id)]})
    assert resp.status_code == 302 and f"jobs={job.id}" in resp.headers["Location"]
    page = BeautifulSoup(staff_client.get(resp.headers["Location"]).get_data(as_text=True), "html.parser")
    assert page.select_one(f"#job-{job.id}").has_attr("checked")
