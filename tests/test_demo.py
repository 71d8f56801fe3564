"""Demo data: deterministic, inside the city, with hotspots, patterns and a mix of statuses."""
from collections import Counter
from datetime import datetime

from sqlalchemy import text

from app.city import current_city
from app.extensions import db
from app.services.core.demo import seed_demo
from gis.demo import generate_buildings, generate_reports

CENTRES = {"A": (515000.0, 5441000.0), "B": (513500.0, 5442500.0)}


def test_generation_is_deterministic_and_buildings_do_not_overlap(app):
    boundary = current_city().boundary_metric
    one = generate_buildings(boundary, CENTRES, seed=5, core="A")
    two = generate_buildings(boundary, CENTRES, seed=5, core="A")
    assert len(one) > 200
    assert [b.footprint.wkt for b in one] == [b.footprint.wkt for b in two]
    assert [b.address for b in one] == [b.address for b in two]
    assert all(boundary.contains(b.footprint) for b in one)
    sample = one[:150]
    assert not any(a.footprint.intersects(b.footprint) for i, a in enumerate(sample) for b in sample[i + 1:])
    other = generate_buildings(boundary, CENTRES, seed=6, core="A")
    assert [b.footprint.wkt for b in other] != [b.footprint.wkt for b in one]


def test_reports_follow_weekday_time_and_hotspot_patterns(app):
    boundary = current_city().boundary_metric
    buildings = generate_buildings(boundary, CENTRES, seed=5, core="A")
    reports = generate_reports(buildings, [(515000.0, 5441000.0, 150.0)], 2000, datetime(2026, 11, 1), seed=5)
    assert 1800 <= len(reports) <= 2000
    hours = Counter(int(r.created_at.hour) for r in reports)
    assert sum(hours[h] for h in range(9, 18)) > 0.6 * len(reports)
    assert sum(hours[h] for h in range(0, 6)) == 0
    near = sum((r.x - 515000) ** 2 + (r.y - 5441000) ** 2 < 400**2 for r in reports)
    area_share = 3.1416 * 400**2 / boundary.area
    assert near / len(reports) > 5 * area_share  # a real concentration
    per_building = Counter(r.building for r in reports)
    assert per_building.most_common(1)[0][1] >= 5  # repeat tagging of the same building
    statuses = Counter(r.status for r in reports)
    assert {"closed", "rejected"} <= set(statuses) and statuses["closed"] < len(reports)


def test_seed_demo_fills_the_database_inside_the_boundary(app):
    summary = seed_demo(n_reports=400, seed=11)
    assert summary["reports"] > 350 and summary["buildings"] > 5000
    row = db.session.execute(text("""
        SELECT count(*) AS n,
               count(*) FILTER (WHERE NOT ST_Within(r.location, c.boundary)) AS outside,
               count(DISTINCT r.status) AS statuses,
               count(*) FILTER (WHERE r.building_id IS NULL) AS unlinked,
               count(*) FILTER (WHERE r.district_id IS NULL) AS no_district
        FROM reports r CROSS JOIN cities c""")).one()
    assert row.n == summary["reports"] and row.outside == 0 and row.unlinked == 0 and row.no_district == 0
    assert row.statuses >= 4
    municipal = db.session.execute(text(
        "SELECT count(*) FROM buildings WHERE owner_type = 'municipal' AND usage IN ('school', 'town_hall', "
        "'sports_hall', 'station')")).scalar()
    assert municipal > 50
    events = db.session.execute(text(
        "SELECT count(*) FROM reports r WHERE NOT EXISTS "
        "(SELECT 1 FROM status_events e WHERE e.report_id = r.id AND e.to_status = r.status)")).scalar()
    assert events == 0  # every report's current status is in its audit trail
    contacts = db.session.execute(text(
        "SELECT count(*) FILTER (WHERE closed_at IS NULL) AS open, "
        "count(*) FILTER (WHERE status IN ('closed', 'rejected') AND closed_at < now() - interval '90 days') AS old "
        "FROM reports WHERE reporter_email IS NOT NULL")).one()
    assert contacts.open > 0 and contacts.old == 0  # the privacy note holds for the demo data too
