"""Crew-day planning: proposals fit the shift, plans schedule their jobs, map and exports."""
import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CrewPlan, Report
from app.services.staff import planning
from gis.maps_staff import day_map, plan_map, popup_text
from tests.factories import make_building, make_report

SPOTS = [(49.1418, 9.2185), (49.1450, 9.2250), (49.1380, 9.2100), (49.1500, 9.2150), (49.1350, 9.2300),
         (49.1470, 9.2050)]


@pytest.fixture(autouse=True)
def quick_search(monkeypatch):
    """A shorter search than the page's 2 s: these days are small."""
    monkeypatch.setattr(planning, "SEARCH_SECONDS", 0.3)


@pytest.fixture
def verified_jobs(app):
    now = datetime.now(UTC)
    jobs = []
    for i, (lat, lon) in enumerate(SPOTS):
        r = make_report(make_building(lat=lat, lon=lon, owner_type="municipal" if i % 2 else "public",
                                      address=f"Teststraße {i}"), status="verified",
                        created_at=now - timedelta(days=i))
        r.est_area_m2, r.est_method = 4, "paint_over"  # 20 + 4*12 = 68 minutes of work
        jobs.append(r)
    db.session.commit()
    return jobs


def test_work_time_comes_from_area_and_method():
    assert planning.work_minutes(4, "paint_over") == 68
    assert planning.work_minutes(2, "chemical") > planning.work_minutes(2, "film_removal")


def test_proposal_takes_the_most_urgent_jobs_that_fit_the_shift(verified_jobs):
    short = planning.propose(shift_hours=3)
    assert 1 <= len(short.jobs) < len(verified_jobs)
    assert short.tours[0].total_min <= 180
    long = planning.propose(shift_hours=10)
    assert {j.id for j in verified_jobs} <= {j.id for j in long.jobs}
    assert long.tours[0].total_min <= 600
    # the most urgent (overdue, priority) job is in even the short proposal
    ranked = planning.candidates()
    assert ranked[0].id in {j.id for j in short.jobs}
    assert short.distances == "straight"
    # what does not fit is reported, not lost
    assert sorted([j.id for j in short.jobs] + [j.id for j, _ in short.dropped]) == sorted(j.id for j in ranked)
    assert {reason for _, reason in short.dropped} == {"shift"}


def test_tour_is_not_longer_than_the_picked_order(verified_jobs):
    crew = planning.default_crews(1)
    day = planning.local_today()
    tour = planning.plan_picked(day, crew, [r.id for r in verified_jobs]).tours[0]
    s = tour.settings
    picked = planning.jobs_by_ids([r.id for r in verified_jobs])
    metres, _, source = planning.travel([s.depot] + [(j.lat, j.lon) for j in picked])
    assert source == "straight" and metres[0, 1] > 0
    as_picked = [0, *range(1, len(picked) + 1), 0]
    assert tour.distance_m <= sum(metres[a, b] for a, b in zip(as_picked, as_picked[1:], strict=False)) + 1e-6
    assert tour.drive_min == pytest.approx(tour.distance_m / 1000 / s.speed_kmh * 60)
    assert tour.starts == sorted(tour.starts) and tour.starts[0] > planning.shift_start(day, s)


def test_creating_a_plan_schedules_its_jobs_and_exports(staff_client, verified_jobs):
    ids = [str(r.id) for r in verified_jobs[:4]]
    resp = staff_client.post("/staff/plans/new", data={"day": "2026-12-02", "crew": "Team Süd", "jobs": ids})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    plan = db.session.scalars(select(CrewPlan).order_by(CrewPlan.id.desc())).first()
    assert [s.report_id for s in plan.stops] and sorted(str(s.report_id) for s in plan.stops) == sorted(ids)
    assert plan.distance_m > 0 and plan.duration_min > 4 * 68
    for rid in ids:
        r = db.session.get(Report, int(rid))
        db.session.refresh(r)
        assert r.status == "scheduled"
        assert f"Crew plan #{plan.id}" in r.events[-1].note

    machine = staff_client.get(f"/staff/plans/{plan.id}.csv?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(machine)))
    excel = staff_client.get(f"/staff/plans/{plan.id}.csv", headers={"Accept-Language": "de"}).data
    assert excel.startswith(b"\xef\xbb\xbf")   # German Excel by default: BOM, semicolons, labels, local times
    sheet = list(csv.reader(io.StringIO(excel.decode("utf-8-sig")), delimiter=";"))
    assert sheet[0][:3] == ["Stopp", "Auftrag", "Adresse"] and sheet[-1][0] == "Depot"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", sheet[1][12]) and "," in sheet[1][6]
    assert rows[0][:2] == ["stop", "job"] and [r[1] for r in rows[1:5]] == [str(s.report_id) for s in plan.stops]
    assert rows[-1][0] == "depot" and {r[-1] for r in rows[1:]} == {"straight"}
    # times in the city's time zone: the first stop's due time and planned start
    first = db.session.get(Report, int(rows[1][1]))
    assert rows[1][5] == first.due_at.astimezone(ZoneInfo("Europe/Berlin")).isoformat(timespec="minutes")
    assert rows[1][12].startswith("2026-12-02T") and rows[1][12][-6:] == "+01:00"

    gpx = ET.fromstring(staff_client.get(f"/staff/plans/{plan.id}.gpx").data)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(gpx.findall("g:wpt", ns)) == 4
    rtepts = gpx.findall("g:rte/g:rtept", ns)
    assert len(rtepts) == 6 and rtepts[0].get("lat") == rtepts[-1].get("lat")

    sheet = staff_client.get(f"/staff/plans/{plan.id}/sheet").get_data(as_text=True)
    assert "Teststraße" in sheet and "@media print" in sheet

    html = staff_client.get(f"/staff/plans/{plan.id}/map").get_data(as_text=True)
    assert "cdn." not in html and "/static/vendor/leaflet/leaflet.js" in html
    assert html.count('stop-icon\\" data-seq') == 4 and "L.polyline" in html and "Teststraße" in html

    # scheduled jobs are no longer plannable
    again = staff_client.post("/staff/plans/new", data={"day": "2026-12-03", "crew": "B", "jobs": ids[:1]})
    assert again.status_code == 400 and ids[0] in again.get_data(as_text=True)


def test_plan_form_errors_are_400_and_store_nothing(staff_client, verified_jobs):
    count = db.session.query(CrewPlan).count()
    job = str(verified_jobs[0].id)
    for data, field, message in (
            ({"day": "2026-12-02", "crew": "", "jobs": [job]}, "crew", "Bitte den Trupp angeben"),
            ({"day": "morgen", "crew": "Team Ost", "jobs": [job]}, "day", "„morgen“ ist kein Datum"),
            ({"day": "2026-12-02", "crew": "Team Ost", "jobs": []}, "jobs", "mindestens einen Auftrag"),
            ({"day": "2026-12-02", "crew": "Team Ost", "jobs": ["x"]}, "jobs", "„x“ ist keine Auftragsnummer")):
        resp = staff_client.post("/staff/plans/new", data=data)
        assert resp.status_code == 400
        page = resp.get_data(as_text=True)
        # the same planning page, the message at its field, everything typed kept
        assert 'id="plan-form"' in page and f'id="plan-{field}-error"' in page and message in page
        assert f'value="{data["day"]}"' in page and f'value="{data["crew"]}"' in page
        if data["jobs"] == [job]:
            assert f'value="{job}" id="job-{job}" checked' in page
    assert db.session.query(CrewPlan).count() == count
    assert db.session.get(Report, verified_jobs[0].id).status == "verified"


def test_private_jobs_are_not_offered_to_crews_until_the_owner_deadline_passes(app):
    now = datetime.now(UTC)
    private = make_report(make_building(owner_type="private"), status="notify_owner")
    late = make_report(make_building(owner_type="private", lat=49.15, lon=9.23), status="notify_owner",
                       created_at=now - timedelta(days=30))
    ids = {j.id for j in planning.candidates()}
    assert private.id not in ids and late.id in ids


def test_popups_escape_user_text_even_inside_folium_js():
    evil = "<img src=x onerror=alert(1)>`${alert(2)}`"
    assert "<" not in popup_text(evil) and "`" not in popup_text(evil) and "${" not in popup_text(evil)
    m = plan_map((49.14, 9.21), [{"seq": 1, "lat": 49.141, "lon": 9.22, "priority": 1, "overdue": True,
                                  "title": evil, "popup": [("Beschreibung", evil)]}], [], "/static/vendor")
    html = m.get_root().render()
    assert "<img src=x" not in html and "${alert" not in html
    assert "https://cdn" not in html and "/static/vendor/jquery/jquery.min.js" in html


def test_preview_orders_picked_jobs_without_saving(staff_client, verified_jobs):
    ids = [str(r.id) for r in verified_jobs[:3]]
    count = db.session.query(CrewPlan).count()
    resp = staff_client.post("/staff/plans/new", data={"action": "preview", "day": "2026-12-02", "crew": "A",
                                                       "jobs": ids})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert 'id="proposal"' in text and "3 Stopps" in text
    assert db.session.query(CrewPlan).count() == count
    assert all(db.session.get(Report, int(i)).status == "verified" for i in ids)


@pytest.mark.parametrize("url, field", [("/api/v1/staff/plan-proposal?hours=40", "hours"),
                                        ("/api/v1/staff/plan-proposal?hours=0.2", "hours"),
                                        ("/staff/plans/new?shift=17", "shift")])
def test_a_shift_longer_than_16_hours_or_shorter_than_half_an_hour_is_refused(staff_client, url, field):
    resp = staff_client.get(url, headers={"Accept": "application/json", "Accept-Language": "en"})
    assert resp.status_code == 400
    (error,) = resp.get_json()["errors"]
    assert error["field"] == field and "0.5" in error["message"] and "16" in error["message"]


def test_three_crews_share_the_day_each_from_its_depot(app, staff_client, verified_jobs, monkeypatch):
    depots = (("Nord", 49.150, 9.220), ("Süd", 49.135, 9.215), ("West", 49.142, 9.200))
    monkeypatch.setitem(app.config, "DEPOTS", depots)
    ids = [str(r.id) for r in verified_jobs]
    # three hours a crew: at most two 68-minute jobs each, so all three crews are needed for the six jobs
    form = {"day": "2026-12-02", "shift": "3", "crew": ["Team A", "Team B", "Team C"], "depot": ["0", "1", "2"],
            "jobs": ids}
    preview = staff_client.post("/staff/plans/new", data={**form, "action": "preview"}).get_data(as_text=True)
    assert preview.count('class="tour"') == 3 and "Süd" in preview
    before = db.session.query(CrewPlan).count()
    resp = staff_client.post("/staff/plans/new", data=form)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/plans?day=2026-12-02")
    plans = db.session.scalars(select(CrewPlan).order_by(CrewPlan.id.desc()).limit(3)).all()
    assert db.session.query(CrewPlan).count() == before + 3
    assert {(p.crew, p.depot_lat, p.depot_lon) for p in plans} == {
        ("Team A", 49.150, 9.220), ("Team B", 49.135, 9.215), ("Team C", 49.142, 9.200)}
    assert sorted(str(s.report_id) for p in plans for s in p.stops) == sorted(ids)
    assert all(p.duration_min <= 180 for p in plans)
    # the day's page shows all three crews on one map
    day = staff_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert day.count('<li data-crew="') == 3 and 'id="day-map"' in day
    assert all(name in day for name in ("Team A", "Team B", "Team C", "Süd", "West"))
    assert 'data-distances="straight"' in day
    assert staff_client.get("/staff/plans?day=morgen").status_code == 400


def test_a_crew_named_twice_or_an_unknown_depot_is_refused(staff_client, verified_jobs):
    count = db.session.query(CrewPlan).count()
    for crews, depots in ((["A", "A"], ["0", "0"]), (["A"], ["7"])):
        resp = staff_client.post("/staff/plans/new", data={"day": "2026-12-02", "crew": crews, "depot": depots,
                                                           "jobs": [str(verified_jobs[0].id)]})
        assert resp.status_code == 400
    assert db.session.query(CrewPlan).count() == count


def test_map_markers_of_several_crews_are_labelled_by_crew_and_spread_apart():
    stop = {"lat": 49.14, "lon": 9.21, "priority": 1, "overdue": False, "title": "x", "popup": []}
    m = day_map([{"name": "Bauhof", "lat": 49.14, "lon": 9.21}],
                [{"crew": c, "depot": 0, "stops": [{**stop, "seq": 1}, {**stop, "seq": 2}]} for c in "XYZ"],
                "/static/vendor")
    html = m.get_root().render()
    labels = [f'data-label=\\"{p}{n}\\"' for p in "ABC" for n in (1, 2)]
    assert all(html.count(label) == 1 for label in labels)
    assert html.count('class=\\"depot-icon\\"') == 1 and "function declutter" in html


def test_odd_planning_addresses_answer_with_the_page_not_an_error(staff_client, verified_jobs):
    assert "Noch keine Pläne." in staff_client.get("/staff/plans?day=2030-01-07").get_data(as_text=True)
    resp = staff_client.get("/staff/plans/new?propose=1&day=2026-13-45&crews=abc&district=x")
    assert resp.status_code == 400 and 'id="plan-day-error"' in resp.get_data(as_text=True)
    twice = staff_client.get("/staff/plans/new?propose=1&crew=Nord&crew=Nord")
    assert twice.status_code == 400 and "eigenen Namen" in twice.get_data(as_text=True)
    many = staff_client.get("/staff/plans/new?propose=1&crews=99")
    assert many.status_code == 200 and many.get_data(as_text=True).count('class="crew-row"') == 6


def test_the_api_proposes_a_day_for_several_crews(staff_client, verified_jobs):
    resp = staff_client.get("/api/v1/staff/plan-proposal?hours=3&crews=3")
    assert resp.status_code == 200
    body = resp.get_json()
    assert len(body["crews"]) == 3 and body["distances"] == "straight" and body["deadline_missed"] == []
    assert body["stops"] == body["crews"][0]["stops"]
    ids = [s["id"] for c in body["crews"] for s in c["stops"]]
    assert sorted(ids) == sorted(r.id for r in verified_jobs) and all(c["total_min"] <= 180 for c in body["crews"])
    for bad in ("0", "7", "x"):
        wrong = staff_client.get(f"/api/v1/staff/plan-proposal?crews={bad}")
        assert wrong.status_code == 400 and wrong.get_json()["errors"][0]["field"] == "crews"


def test_saving_keeps_the_order_that_was_shown(app, staff_client, verified_jobs, monkeypatch):
    import re

    monkeypatch.setitem(app.config, "DEPOTS", (("Nord", 49.150, 9.220), ("Süd", 49.135, 9.215)))
    ids = [str(r.id) for r in verified_jobs]
    form = {"day": "2026-12-03", "shift": "4", "crew": ["N", "S"], "depot": ["0", "1"], "jobs": ids}
    page = staff_client.post("/staff/plans/new", data={**form, "action": "preview"}).get_data(as_text=True)
    key = re.search(r'name="route_key" value="([^"]+)"', page).group(1)
    shown = dict(v.split(":") for v in re.findall(r'name="route" value="([^"]+)"', page))
    assert sorted(i for r in shown.values() for i in r.split(",") if i) == sorted(ids)
    # the clerk saves what was shown (here with crew N's order turned round: still the shown plan's jobs)
    turned = {c: ",".join(reversed(r.split(","))) if c == "0" else r for c, r in shown.items()}
    resp = staff_client.post("/staff/plans/new", data={**form, "route_key": key,
                                                       "route": [f"{c}:{r}" for c, r in turned.items()]})
    assert resp.status_code == 302
    plans = db.session.scalars(select(CrewPlan).where(CrewPlan.day == datetime(2026, 12, 3).date())
                               .order_by(CrewPlan.id)).all()
    saved = {p.crew: ",".join(str(s.report_id) for s in p.stops) for p in plans}
    assert saved["N"] == turned["0"] and saved.get("S", "") == turned["1"]


def test_a_shown_order_that_does_not_fit_the_shift_is_planned_anew(app, staff_client, verified_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "DEPOTS", (("Nord", 49.150, 9.220), ("Süd", 49.135, 9.215)))
    ids = [str(r.id) for r in verified_jobs]
    crews = planning.parse_crews(["N", "S"], ["0", "1"])
    key = planning.route_key(datetime(2026, 12, 4).date(), 4.0, crews)
    form = {"day": "2026-12-04", "shift": "4", "crew": ["N", "S"], "depot": ["0", "1"], "jobs": ids,
            "route_key": key, "route": ["0:" + ",".join(ids), "1:"]}  # six 68-minute jobs for one 4-hour crew
    assert staff_client.post("/staff/plans/new", data=form).status_code == 302
    again = db.session.scalars(select(CrewPlan).where(CrewPlan.day == datetime(2026, 12, 4).date())).all()
    assert len(again) == 2 and all(p.duration_min <= 240 for p in again)
