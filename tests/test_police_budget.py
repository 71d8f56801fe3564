"""Work budgets of the police analyses: over-budget parameters are refused with a 400 naming the limit and what
to change, before the work starts (issue 12, finding 4)."""
import numpy as np
import pytest
from shapely.geometry import Point, box

from app.city import current_city
from app.services.police import budget
from gis import gistar as gi
from gis.knox import count_pairs
from tests.factories import field_errors, seed_reports


@pytest.mark.parametrize("shape", ["hex", "square"])
@pytest.mark.parametrize("size", [25.0, 60.0, 150.0, 400.0])
def test_the_cell_estimate_is_within_a_few_per_cent_of_the_grid(shape, size):
    for area in (box(7, 13, 4007, 3013), Point(2000, 2000).buffer(1500)):  # real areas are not aligned
        real = len(gi.make_grid(area, size, shape))
        assert abs(budget.estimated_cells(area, size, shape) - real) <= 0.08 * real, (area.bounds, size, shape)


def test_the_smallest_cell_is_the_first_size_within_the_budget():
    area = box(0, 0, 12000, 9000)
    for shape in ("hex", "square"):
        size = budget.smallest_cell(area, shape, 10_000)
        assert budget.estimated_cells(area, size, shape) <= 10_000 < budget.estimated_cells(area, size - 1, shape)


def test_count_pairs_counts_what_the_knox_test_lists():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 2000, 400), rng.uniform(0, 2000, 400)
    from scipy.spatial import cKDTree

    assert count_pairs(x, y, 300.0) == len(cKDTree(np.column_stack((x, y))).query_pairs(300.0))
    assert count_pairs(x[:1], y[:1], 300.0) == 0


def test_gistar_over_the_cell_budget_is_refused_naming_the_limit(app, police_client):
    with app.test_request_context():
        smallest = budget.smallest_cell(current_city().boundary_metric, "hex")
    assert 30 < smallest < 150  # the default 150 m fits the city; 25 m does not
    resp = police_client.get("/api/v1/hotspots?method=gistar&cell=25")
    assert resp.status_code == 400
    message = field_errors(resp)["cell"]
    assert "15.000" in message and f"ab {smallest} m" in message
    # The same limit on every page and export that computes Gi*; the smallest allowed cell works.
    for url in ("/police/?cell=25", "/police/map/frame?cell=25", "/police/export/gistar.csv?cell=25",
                "/police/map.png?cell=25", "/police/print?cell=25"):
        page = police_client.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 400 and "15.000" in page.get_data(as_text=True), url
    assert police_client.get(f"/api/v1/hotspots?method=gistar&cell={smallest}").status_code == 200
    # DBSCAN and KDE do not build the grid, so a small cell is no reason to refuse them.
    assert police_client.get("/api/v1/hotspots?method=dbscan&cell=25").status_code == 200
    en = police_client.get("/api/v1/hotspots?method=gistar&cell=25&lang=en")
    assert "at most 15,000" in field_errors(en)["cell"] and f"{smallest} m or more" in field_errors(en)["cell"]


def test_near_repeat_over_the_work_budget_is_refused_before_permuting(police_client, monkeypatch):
    seed_reports([(i * 10.0, (i % 7) * 10.0) for i in range(40)])  # 780 pairs within 800 m
    monkeypatch.setattr(budget, "MAX_KNOX_WORK", 780 * 99)
    ok = police_client.get("/police/near-repeat?permutations=99")
    assert ok.status_code == 200
    resp = police_client.get("/police/near-repeat?permutations=999", headers={"Accept": "text/html"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "780 Paare × 999 Permutationen" in text and "höchstens 99 Permutationen" in text
    # Too many pairs for even the fewest permutations: the message asks for a smaller area or period instead.
    monkeypatch.setattr(budget, "MAX_KNOX_WORK", 780 * 10)
    resp = police_client.get("/police/near-repeat?permutations=19&lang=en", headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "a smaller largest distance, a shorter period or a district" in \
        resp.get_data(as_text=True)


def test_near_repeat_with_too_many_incidents_is_refused(police_client, monkeypatch):
    seed_reports([(i * 10.0, 0.0) for i in range(12)])
    monkeypatch.setattr(budget, "MAX_KNOX_REPORTS", 10)
    resp = police_client.get("/police/near-repeat", headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "12 Meldungen sind zu viele" in resp.get_data(as_text=True)
