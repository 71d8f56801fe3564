"""The staff workflow over HTTP: every legal and illegal transition, the audit trail, duplicates, re-tagging."""
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.labels import status_label
from app.models import STATUSES, Removal, Report, StatusEvent
from app.services.core.workdays import local_today
from app.services.core.workflow import TRANSITIONS
from app.services.staff import triage
from tests.factories import make_building, make_report

# A path from 'new' to each status, so every (from, to) pair can be tried from a real state.
PATHS = {
    "new": [], "verified": ["verified"], "scheduled": ["verified", "scheduled"],
    "removed": ["verified", "scheduled", "removed"], "closed": ["verified", "scheduled", "removed", "closed"],
    "notify_owner": ["verified", "notify_owner"], "rejected": ["rejected"], "duplicate": ["duplicate"],
}


def _post(client, report, to, **extra):
    reason = {"public_reply": "nothing_found"} if to == "rejected" else {}  # a rejection tells the citizen why
    return client.post(f"/staff/jobs/{report.id}/status", data={"to": to, "note": f"to {to}", **reason, **extra})


def _reach(client, report, status, original):
    for step in PATHS[status]:
        extra = {"duplicate_of": str(original.id)} if step == "duplicate" else {}
        resp = _post(client, report, step, **extra)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


ALL_PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]


@pytest.mark.parametrize("from_status,to_status", ALL_PAIRS)
def test_every_transition_is_allowed_or_refused_as_the_table_says(staff_client, from_status, to_status):
    original = make_report(make_building(owner_type="public", lat=49.15, lon=9.22))
    report = make_report(make_building(owner_type="public"))
    db.session.commit()
    _reach(staff_client, report, from_status, original)
    extra = {"duplicate_of": str(original.id)} if to_status == "duplicate" else {}
    before = db.session.scalar(select(StatusEvent.id).where(StatusEvent.report_id == report.id)
                               .order_by(StatusEvent.id.desc()).limit(1))
    resp = _post(staff_client, report, to_status, **extra)
    db.session.expire_all()
    fresh = db.session.get(Report, report.id)
    if to_status in TRANSITIONS[from_status]:
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        assert fresh.status == to_status
        last = db.session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id)
                                  .order_by(StatusEvent.id.desc())).first()
        assert (last.from_status, last.to_status, last.note) == (from_status, to_status, f"to {to_status}")
        assert last.user_id == staff_client.user.id
    else:
        assert resp.status_code == 409
        text = resp.get_data(as_text=True)
        with staff_client.application.test_request_context(), force_locale("de"):
            refused = status_label(to_status)
        assert f"kann nicht „{refused}“ werden" in text  # the page names the refused status
        assert fresh.status == from_status
        after = db.session.scalar(select(StatusEvent.id).where(StatusEvent.report_id == report.id)
                                  .order_by(StatusEvent.id.desc()).limit(1))
        assert after == before  # no event for a refused change


def test_history_shows_who_when_from_to_and_note(staff_client):
    report = make_report(make_building())
    db.session.commit()
    assert _post(staff_client, report, "verified", est_area_m2="3,5", est_method="paint_over").status_code == 302
    assert _post(staff_client, report, "scheduled").status_code == 302
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    history = page[page.index('class="history"'):]
    assert staff_client.user.email in history
    assert "to verified" in history and "to scheduled" in history
    assert history.index("Geprüft") < history.index("Entfernung geplant")
    db.session.expire_all()
    fresh = db.session.get(Report, report.id)
    assert float(fresh.est_area_m2) == 3.5 and fresh.est_method == "paint_over"


def test_private_building_goes_to_notify_owner_not_a_crew(staff_client):
    report = make_report(make_building(owner_type="private"), status="verified")
    db.session.commit()
    refused = staff_client.post(f"/staff/jobs/{report.id}/status", data={"to": "scheduled"},
                                headers={"Accept-Language": "en"})
    assert refused.status_code == 409
    assert "notify the owner first (status “Owner is being notified”)" in refused.get_data(as_text=True)
    assert _post(staff_client, report, "notify_owner").status_code == 302
    # when the owner does not act, the city may still send a crew
    assert _post(staff_client, report, "scheduled").status_code == 302


def test_offensive_content_on_a_private_building_is_a_crew_job(staff_client):
    report = make_report(make_building(owner_type="private"), offensive=True, status="verified")
    db.session.commit()
    assert report.priority == 1
    assert _post(staff_client, report, "scheduled").status_code == 302


def test_duplicate_needs_a_valid_original(staff_client):
    report = make_report(make_building())
    db.session.commit()
    resp = _post(staff_client, report, "duplicate")
    assert resp.status_code == 400 and "duplicate_of" in resp.get_data(as_text=True)
    resp = _post(staff_client, report, "duplicate", duplicate_of=str(report.id))
    assert resp.status_code == 400
    assert db.session.get(Report, report.id).status == "new"


def test_unknown_status_is_a_400(staff_client):
    report = make_report(make_building())
    db.session.commit()
    assert _post(staff_client, report, "vanished").status_code == 400


def test_queue_shows_one_job_per_building_with_linked_reports(staff_client):
    building = make_building(address="Kaiserstraße 5")
    first = make_report(building, created_at=datetime.now(UTC) - timedelta(days=2))
    second = make_report(building)
    dup = make_report(building)
    dup.status, dup.duplicate_of_id = "duplicate", first.id
    other = make_report(make_building(address="Allee 9", lat=49.146, lon=9.216))
    db.session.commit()
    jobs, _total = triage.job_queue(triage.QueueFilters())
    ids = [j.id for j in jobs]
    assert first.id in ids and other.id in ids and second.id not in ids and dup.id not in ids
    job = next(j for j in jobs if j.id == first.id)
    assert job.linked == 2  # the duplicate and the other open report of the building
    page = staff_client.get(f"/staff/jobs/{first.id}").get_data(as_text=True)
    assert f"#{second.id}" in page and f"#{dup.id}" in page
    # merging links the other open report as a duplicate, with an audit entry
    assert staff_client.post(f"/staff/jobs/{first.id}/merge").status_code == 302
    db.session.expire_all()
    merged = db.session.get(Report, second.id)
    assert (merged.status, merged.duplicate_of_id) == ("duplicate", first.id)


def test_queue_pages_count_the_same_total_also_past_the_end(staff_client):
    for i in range(5):
        make_report(make_building(address=f"Seite {i}", lat=49.140 + i * 0.001, lon=9.220))
    db.session.commit()
    everything, total = triage.job_queue(triage.QueueFilters(per_page=500))
    assert total == len(everything) >= 5
    pages = [triage.job_queue(triage.QueueFilters(per_page=2, page=p)) for p in range(1, total // 2 + 3)]
    assert [j.id for jobs, _ in pages for j in jobs] == [j.id for j in everything]
    assert {t for _, t in pages} == {total} and pages[-1][0] == []


def test_queue_filters(staff_client):
    now = datetime.now(UTC)
    municipal = make_report(make_building(owner_type="municipal", address="Rathaus"), category="graffiti",
                            created_at=now - timedelta(days=20))
    private = make_report(make_building(owner_type="private", address="Privat 1", lat=49.15, lon=9.23),
                          category="sticker")
    db.session.commit()

    def ids(**args):
        resp = staff_client.get("/api/v1/staff/jobs", query_string={"per_page": 500, **args})
        assert resp.status_code == 200
        return {j["id"] for j in resp.get_json()["jobs"]}

    assert {municipal.id, private.id} <= ids()
    assert municipal.id in ids(owner_type="municipal") and private.id not in ids(owner_type="municipal")
    assert private.id in ids(category="sticker") and municipal.id not in ids(category="sticker")
    assert municipal.id in ids(min_age=10) and private.id not in ids(min_age=10)
    assert municipal.id in ids(overdue=1) and private.id not in ids(overdue=1)
    assert municipal.id not in ids(status="rejected")
    bad = staff_client.get("/api/v1/staff/jobs?status=lost")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "status"
    page = staff_client.get("/staff/queue?overdue=1").get_data(as_text=True)
    assert "Rathaus" in page and "Privat 1" not in page and "is-overdue" in page


def test_new_report_on_a_recently_cleaned_building_is_retagged(app):
    building = make_building()
    old = make_report(building, status="removed", created_at=datetime.now(UTC) - timedelta(days=40))
    db.session.add(Removal(report_id=old.id, removed_on=local_today() - timedelta(days=30), method="paint_over",
                           area_m2=2, cost_eur=80))
    db.session.flush()
    again = make_report(building)
    assert again.retagged is True
    long_ago = make_building(lat=49.15, lon=9.23)
    old2 = make_report(long_ago, status="removed", created_at=datetime.now(UTC) - timedelta(days=200))
    db.session.add(Removal(report_id=old2.id, removed_on=local_today() - timedelta(days=120), method="paint_over",
                           area_m2=2, cost_eur=80))
    db.session.flush()
    assert make_report(long_ago).retagged is False
    jobs, _ = triage.job_queue(triage.QueueFilters(retagged=True, per_page=500))
    assert again.id in [j.id for j in jobs]


def test_due_time_uses_working_days_and_overdue_stands_out(staff_client):
    thursday = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    report = make_report(make_building(owner_type="municipal"), created_at=thursday)
    assert report.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Fri, Mon, Tue
    offensive = make_report(make_building(owner_type="private", lat=49.15, lon=9.23), offensive=True,
                            created_at=thursday)
    assert offensive.due_at == thursday + timedelta(hours=24)
    private = make_report(make_building(owner_type="private", lat=49.152, lon=9.232), created_at=thursday)
    assert private.due_at == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    db.session.commit()
    page = staff_client.get(f"/staff/jobs/{report.id}").get_data(as_text=True)
    assert "01.12.2026 10:00" in page  # local time (CET)
    jobs, _ = triage.job_queue(triage.QueueFilters(per_page=500), now=datetime(2026, 11, 30, tzinfo=UTC))
    by_id = {j.id: j for j in jobs}
    assert by_id[report.id].overdue is False and by_id[offensive.id].overdue is True
    assert [j.id for j in jobs].index(offensive.id) < [j.id for j in jobs].index(report.id)
