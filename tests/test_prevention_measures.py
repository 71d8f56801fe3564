"""The measures register and a measure's evaluation on reports in the real PostGIS: who may do what, bad input,
the history, and an evaluation whose truth is known (the treatment area halved, the buffer gained)."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import MultiPolygon, box, mapping, shape
from sqlalchemy import select, text

from app.extensions import db
from app.models import Measure, MeasureEvent
from app.services.prevention import evaluation
from app.services.prevention.evaluation import add_months
from tests.factories import MARKT, SRID, count, make_building, offset
from gis.projection import to_metric, to_wgs84


def square(lat, lon, half_m=40):
    """A GeoJSON square of 2*half_m metres around (lat, lon)."""
    from shapely.geometry import Point

    p = to_metric(Point(lon, lat), SRID)
    return json.dumps(mapping(to_wgs84(box(p.x - half_m, p.y - half_m, p.x + half_m, p.y + half_m), SRID)))


def form(**over):
    data = {"kind": "coating", "title": "Beschichtung Grundschule", "start_on": "2025-03-01", "cost_eur": "12500",
            "office": "Hochbauamt", "status": "active", "buffer_m": "200", "months": "12", "gap_months": "0",
            "area": square(*MARKT), "description": "<script>alert(1)</script>"}
    data.update(over)
    return data


def test_staff_and_police_register_measures_the_prevention_role_reads(staff_client, police_client,
                                                                      prevention_client, client):
    school = make_building(*offset(*MARKT, east_m=5), address="Schulgasse 3")
    resp = staff_client.post("/prevention/measures/new", data=form(building_ids=str(school.id)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    m = db.session.scalar(select(Measure).order_by(Measure.id.desc()))
    assert m.title == "Beschichtung Grundschule" and [b.id for b in m.buildings] == [school.id]
    assert police_client.post("/prevention/measures/new", data=form(title="Licht")).status_code == 302
    page = prevention_client.get(f"/prevention/measures/{m.id}").get_data(as_text=True)
    assert "Beschichtung Grundschule" in page and "Schulgasse 3" in page
    zones = json.loads(re.search(r'id="measure-map-zones">(.*?)</script>', page, re.S)[1])
    assert zones["ring"]["type"] in ("Polygon", "MultiPolygon") and zones["control"] is None
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert prevention_client.get("/prevention/").status_code == 200
    assert prevention_client.get(f"/prevention/measures/{m.id}/evaluation").status_code == 200
    assert prevention_client.post("/prevention/measures/new", data=form()).status_code == 403
    assert prevention_client.get(f"/prevention/measures/{m.id}/edit").status_code == 403
    assert prevention_client.get("/prevention/buildings/at?lat=49.14&lon=9.21").status_code == 403
    assert client.get("/prevention/").status_code == 302          # anonymous: to the login page
    assert "Ändern" not in prevention_client.get(f"/prevention/measures/{m.id}").get_data(as_text=True)
    edit = staff_client.get(f"/prevention/measures/{m.id}/edit").get_data(as_text=True)
    assert 'value="Beschichtung Grundschule"' in edit and f'value="{school.id}"' in edit
    assert staff_client.get("/prevention/measures/new").status_code == 200
    assert prevention_client.get("/staff/").status_code == 403 and prevention_client.get("/police/").status_code == 403


def test_bad_input_is_answered_at_the_field_and_keeps_what_was_typed(staff_client):
    before = count(Measure)
    resp = staff_client.post("/prevention/measures/new", data=form(kind="wishful", start_on="1.3.2025",
                                                                   cost_eur="-5", area="", buffer_m="9999"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and count(Measure) == before
    for field in ("kind", "start_on", "cost_eur", "area", "buffer_m"):
        assert f'id="{field}-error"' in page, field
    assert 'value="Beschichtung Grundschule"' in page and 'value="1.3.2025"' in page
    outside = staff_client.post("/prevention/measures/new", data=form(area=square(49.30, 9.50)))
    assert outside.status_code == 400 and 'id="area-error"' in outside.get_data(as_text=True)
    bowtie = json.dumps({"type": "Polygon", "coordinates": [[[9.21, 49.14], [9.22, 49.15], [9.22, 49.14],
                                                             [9.21, 49.15], [9.21, 49.14]]]})
    assert staff_client.post("/prevention/measures/new", data=form(area=bowtie)).status_code == 400
    assert staff_client.post("/prevention/measures/new", data=form(area="{nonsense")).status_code == 400
    assert staff_client.post("/prevention/measures/new", data=form(end_on="2025-01-01")).status_code == 400
    assert count(Measure) == before


def test_every_change_is_kept_in_the_history(staff_client, police_client):
    staff_client.post("/prevention/measures/new", data=form())
    m = db.session.scalar(select(Measure).order_by(Measure.id.desc()))
    resp = police_client.post(f"/prevention/measures/{m.id}/edit", data=form(cost_eur="13000,50", status="finished"))
    assert resp.status_code == 302
    events = db.session.scalars(select(MeasureEvent).where(MeasureEvent.measure_id == m.id)
                                .order_by(MeasureEvent.id)).all()
    assert [e.action for e in events] == ["created", "updated"]
    assert events[1].changes["cost_eur"] == [12500.0, 13000.5] and events[1].changes["status"] == ["active", "finished"]
    assert events[1].user_id == police_client.user.id and "title" not in events[1].changes
    page = staff_client.get(f"/prevention/measures/{m.id}").get_data(as_text=True)
    assert "12.500,00 € → 13.000,50 €" in page and "laufend → abgeschlossen" in page


def test_a_building_is_found_where_it_is_clicked(staff_client):
    b = make_building(*MARKT, address="Rathausplatz 9")
    found = staff_client.get(f"/prevention/buildings/at?lat={MARKT[0]}&lon={MARKT[1]}").get_json()["building"]
    assert found["id"] == b.id and found["label"] == "Rathausplatz 9"
    far = offset(*MARKT, east_m=3000, north_m=-2500)
    assert staff_client.get(f"/prevention/buildings/at?lat={far[0]}&lon={far[1]}").get_json()["building"] is None
    assert staff_client.get("/prevention/buildings/at?lat=x&lon=1").status_code == 400


def _insert(lat, lon, created, removed_on=None, cost=None):
    rid = db.session.execute(text(
        "INSERT INTO reports (token, category, location, created_at, updated_at, status, removed_at) VALUES "
        "(md5(random()::text), 'graffiti', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :at, :at, :st, :rm) "
        "RETURNING id"), {"lon": lon, "lat": lat, "at": created, "st": "removed" if removed_on else "new",
                          "rm": removed_on}).scalar()
    if removed_on:
        db.session.execute(text("INSERT INTO removals (report_id, removed_on, method, area_m2, cost_eur) "
                                "VALUES (:r, :d, 'paint_over', 2, :c)"), {"r": rid, "d": removed_on.date(), "c": cost})


def test_the_evaluation_finds_a_halving_and_the_displacement_built_into_the_reports(app, prevention_client):
    today = datetime.now(UTC).date()
    start = add_months(today.replace(day=1), -13)
    inside, ring, far = MARKT, offset(*MARKT, east_m=120), offset(*MARKT, east_m=1500, north_m=800)
    for month in range(12):
        before = datetime.combine(add_months(start, month - 12), datetime.min.time(), tzinfo=UTC) + timedelta(days=9)
        after = datetime.combine(add_months(start, month), datetime.min.time(), tzinfo=UTC) + timedelta(days=9)
        for k in range(8):                                        # treatment: 8 a month before, 4 after
            _insert(*inside, before + timedelta(hours=k), removed_on=before + timedelta(days=2), cost=300)
            if k < 4:
                _insert(*inside, after + timedelta(hours=k))
        for k in range(6):                                        # buffer: 6 before, 9 after (displacement)
            _insert(*ring, before + timedelta(hours=k))
        for k in range(9):
            _insert(*ring, after + timedelta(hours=k))
        for k in range(40):                                       # control: flat
            _insert(*far, before + timedelta(hours=k % 20, minutes=k))
            _insert(*far, after + timedelta(hours=k % 20, minutes=k))
    m = Measure(kind="coating", title="Schule", start_on=start, cost_eur=5000, buffer_m=200, months=12, gap_months=0,
                area=treatment_area(inside))
    db.session.add(m)
    db.session.flush()
    ev = evaluation.evaluate(m, today=today)
    t = ev.assessment.totals
    assert (t["treatment_before"], t["treatment_after"], t["buffer_before"], t["buffer_after"]) == (96, 48, 72, 108)
    assert t["control_before"] >= 480 and t["control_after"] == t["control_before"]
    assert ev.judged and ev.assessment.effect.res == pytest.approx(2.0) and ev.assessment.effect.low > 1
    # 48 fewer in the treatment area, 36 more in the ring, control flat (480 each): WDQ = (36/480) / (-48/480)
    assert ev.assessment.displacement.wdq == pytest.approx(-0.75)
    assert ev.assessment.displacement.verdict == "displacement"
    assert ev.respray_before.removals > 0 and ev.cost.expected_removals == pytest.approx(96)
    assert ev.cost.observed_removals == 0 and ev.cost.avoided_cost == pytest.approx(96 * 300)
    page = prevention_client.get(f"/prevention/measures/{m.id}/evaluation?lang=en").get_data(as_text=True)
    assert re.search(r"2\.00</span>", page) and "Displacement: some of the graffiti moved" in page
    assert "fewer reports than expected" in page


def treatment_area(latlon, half=30):
    """EWKT of a square MultiPolygon of 2*half metres around (lat, lon)."""
    return f"SRID=4326;{MultiPolygon([shape(json.loads(square(*latlon, half_m=half)))]).wkt}"


def test_too_few_incidents_and_too_early(app):
    today = datetime.now(UTC).date()
    m = Measure(kind="lighting", title="Licht", start_on=today - timedelta(days=3), cost_eur=0, buffer_m=200,
                months=12, gap_months=0, area=treatment_area(MARKT))
    db.session.add(m)
    db.session.flush()
    assert evaluation.evaluate(m, today=today).periods is None
    m.start_on = add_months(today, -14)
    ev = evaluation.evaluate(m, today=today)
    assert ev.periods.complete and not ev.judged


def test_a_drawn_control_area_replaces_the_rest_of_the_city(app):
    today = datetime.now(UTC).date()
    start = add_months(today.replace(day=1), -13)
    near_control, elsewhere = offset(*MARKT, east_m=900), offset(*MARKT, east_m=-2500, north_m=1500)
    for month in range(12):
        for when in (add_months(start, month - 12), add_months(start, month)):
            at = datetime.combine(when, datetime.min.time(), tzinfo=UTC) + timedelta(days=5)
            for k in range(3):
                _insert(*near_control, at + timedelta(hours=k))
                _insert(*elsewhere, at + timedelta(hours=k))
    m = Measure(kind="video", title="Kamera", start_on=start, cost_eur=0, buffer_m=200, months=12, gap_months=0,
                area=treatment_area(MARKT), control_area=treatment_area(near_control, half=100))
    db.session.add(m)
    db.session.flush()
    drawn = evaluation.evaluate(m, today=today).assessment.totals
    assert (drawn["control_before"], drawn["control_after"]) == (36, 36)   # only the drawn control area counts
    m.control_area = None
    whole = evaluation.evaluate(m, today=today).assessment.totals
    assert whole["control_before"] >= 72                                    # the rest of the city: both places
