"""Crew planning on the imported street network (issue #18): a plan on the Kirchberg an der Iller extract drives
along the streets (no leg shorter than the straight line), draws the street path and says so on the page and in
the exports."""
import csv
import io
from itertools import pairwise

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Building, CrewPlan
from app.services.core.workdays import local_today
from app.services.staff import planning
from gis.projection import transformer
from tests.conftest import _login
from tests.factories import make_report
from tests.test_osm_import import DATA, KIRCHBERG, _imported_city


@pytest.fixture(scope="module")
def kirchberg_city(scratch_database, tmp_path_factory):
    """Kirchberg an der Iller with its streets imported, on its own database."""
    for application, _, _ in _imported_city(scratch_database, tmp_path_factory, "Kirchberg",
                                            DATA / "kirchberg-an-der-iller.boundary.geojson", KIRCHBERG,
                                            CITY_SRID=25832, CITY_CENTER=(48.136, 10.0695),
                                            DEPOTS=(("Bauhof", 48.136, 10.0695),), WTF_CSRF_ENABLED=False):
        yield application


def _straight_m(a, b):
    x, y = transformer(4326, 25832).transform([a[1], b[1]], [a[0], b[0]])
    return ((x[0] - x[1]) ** 2 + (y[0] - y[1]) ** 2) ** 0.5


def test_a_plan_on_the_imported_streets_uses_street_distances_and_says_so(kirchberg_city, monkeypatch):
    monkeypatch.setattr(planning, "SEARCH_SECONDS", 0.3)
    with kirchberg_city.app_context():
        buildings = db.session.scalars(select(Building).where(Building.address.in_(
            ["Haydnstraße 7", "Goethestraße 9", "Beethovenstraße 1", "Mauerstraße 2", "Schwendier Weg 3"]))).all()
        if len(buildings) < 3:
            buildings = db.session.scalars(select(Building).where(Building.address.is_not(None))
                                           .order_by(Building.id).limit(4)).all()
        for b in buildings:
            b.owner_type = "municipal"  # the city's own buildings: crew jobs, no owner to notify first
        reports = [make_report(b, status="verified") for b in buildings]
        db.session.commit()
        ids = [r.id for r in reports]

        day_plan = planning.plan_picked(local_today(), planning.default_crews(1), ids)
        assert day_plan.distances == "streets" and not day_plan.dropped
        tour = day_plan.tours[0]
        depot = (tour.crew.depot.lat, tour.crew.depot.lon)
        stops = [depot] + [(j.lat, j.lon) for j in tour.jobs] + [depot]
        straight = [_straight_m(a, b) for a, b in pairwise(stops)]
        assert len(tour.legs_m) == len(straight) == len(ids) + 1
        assert all(leg >= s - 1e-6 for leg, s in zip(tour.legs_m, straight, strict=True))
        assert tour.distance_m > sum(straight) * 1.05  # the houses do not lie on one straight street
        path = planning.route_path(tour)
        assert len(path) > len(stops) and path[0] == pytest.approx(depot) and path[-1] == pytest.approx(depot)

        client = _login(kirchberg_city, "staff")
        resp = client.post("/staff/plans/new", data={"day": local_today().isoformat(), "crew": "Trupp Iller",
                                                     "depot": "0", "jobs": [str(i) for i in ids]})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        plan = db.session.scalars(select(CrewPlan).order_by(CrewPlan.id.desc())).first()
        assert plan.distance_m == pytest.approx(tour.distance_m, rel=0.2)
        page = client.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
        assert 'data-distances="streets"' in page and "Straßennetz" in page
        machine = client.get(f"/staff/plans/{plan.id}.csv?format=csv").get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(machine)))
        assert rows and {r["distances"] for r in rows} == {"streets"}
        assert "distances: streets" in client.get(f"/staff/plans/{plan.id}.gpx").get_data(as_text=True)
        assert "OpenStreetMap" in client.get(f"/staff/plans/{plan.id}/sheet").get_data(as_text=True)
        # the map draws the way along the streets, not one straight line per leg
        html = client.get(f"/staff/plans/{plan.id}/map").get_data(as_text=True)
        line = html[html.index("L.polyline("):]
        assert line[:line.index(")")].count("],") > len(stops)
