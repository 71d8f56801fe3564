"""Monthly statistics on known data: counts, median/p90, share within target, re-tagging, cost and area."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from app.extensions import db
from app.models import Removal
from app.services.staff import statistics
from tests.factories import make_building, make_report


def _removed(building, created, days, cost, area, due_days=None):
    r = make_report(building, status="new", created_at=created)
    r.status, r.removed_at = "removed", created + timedelta(days=days)
    if due_days is not None:
        r.due_at = created + timedelta(days=due_days)
    db.session.add(Removal(report_id=r.id, removed_on=r.removed_at.date(), method="paint_over", area_m2=area,
                           cost_eur=cost))
    return r


@pytest.fixture
def known(app):
    """March 2025 in one district: 4 reports, 3 removed after 1, 2 and 10 days; one re-tagged after 20 days."""
    a = make_building(lat=49.1418, lon=9.2185, address="A")
    b = make_building(lat=49.1425, lon=9.2195, address="B")
    c = make_building(lat=49.1410, lon=9.2175, address="C")
    march = datetime(2025, 3, 3, 9, tzinfo=UTC)
    _removed(a, march, 1, 100, 2, due_days=3)
    _removed(b, march + timedelta(days=1), 2, 200, 4, due_days=3)
    _removed(c, march + timedelta(days=2), 10, 300, 6, due_days=3)
    make_report(a, created_at=march + timedelta(days=21))  # a again, 20 days after its removal -> re-tag
    db.session.flush()
    return march


def test_monthly_figures_on_known_data(known):
    rows = statistics.monthly(statistics.StatsQuery(date(2025, 3, 1), date(2025, 4, 1)), by_district=False)
    assert len(rows) == 1
    m = rows[0]
    assert (m.month, m.received, m.removals) == (date(2025, 3, 1), 4, 3)
    assert m.median_days == pytest.approx(2.0)
    assert m.p90_days == pytest.approx(2 + 0.8 * (10 - 2))  # percentile_cont: linear interpolation
    assert m.within_target_pct == pytest.approx(200 / 3, abs=0.01)
    assert m.retag_pct == pytest.approx(100 / 3, abs=0.01)
    assert (m.cost_eur, m.area_m2) == (600.0, 12.0)
    by_district = statistics.monthly(statistics.StatsQuery(date(2025, 3, 1), date(2025, 4, 1)))
    assert sum(r.received for r in by_district) == 4 and all(r.district for r in by_district)


def test_months_outside_the_range_are_left_out(known):
    assert statistics.monthly(statistics.StatsQuery(date(2025, 5, 1), date(2025, 6, 1)), by_district=False) == []


def test_statistics_page_and_csv(staff_client, known):
    db.session.commit()
    page = staff_client.get("/staff/statistics?from=2025-03&to=2025-03")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "2025-03" in text and "600,00\xa0€" in text      # amounts in the reader's locale
    english = staff_client.get("/staff/statistics?from=2025-03&to=2025-03&lang=en").get_data(as_text=True)
    assert "€600.00" in english
    resp = staff_client.get("/staff/statistics.csv?from=2025-03&to=2025-03&format=csv")   # for machines
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert resp.mimetype == "text/csv" and not resp.data.startswith(b"\xef\xbb\xbf")
    assert sum(int(r["received"]) for r in rows) == 4
    assert sum(float(r["cost_eur"]) for r in rows) == 600.0
    assert list(rows[0]) == ["month", "district", "received", "removals", "median_days", "p90_days",
                             "within_target_pct", "retag_pct", "cost_eur", "area_m2"]
    assert rows[0]["month"] == "2025-03"


def test_statistics_csv_opens_in_german_excel_by_default(staff_client, known):
    db.session.commit()
    resp = staff_client.get("/staff/statistics.csv?from=2025-03&to=2025-03", headers={"Accept-Language": "de"})
    assert resp.data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM: Excel reads the umlauts"
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0])[:3] == ["Monat", "Stadtteil", "Eingegangen"] and "Kosten (EUR)" in rows[0]
    assert rows[0]["Monat"] == "03/2025"
    costs = [r["Kosten (EUR)"] for r in rows]
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}", c) for c in costs), costs      # 1.234,50
    assert sum(float(c.replace(".", "").replace(",", ".")) for c in costs) == 600.0
    english = staff_client.get("/staff/statistics.csv?from=2025-03&to=2025-03", headers={"Accept-Language": "en"})
    header = english.data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Month,District,Received") and "Cost (EUR)" in header


@pytest.mark.parametrize("query", ["from=2025-13", "from=2025-05&to=2025-03", "district=abc"])
def test_bad_statistics_queries_are_400(staff_client, query):
    resp = staff_client.get(f"/staff/statistics.csv?{query}")
    assert resp.status_code == 400


def test_the_page_puts_last_year_beside_this_year_with_a_target_line_and_one_row_per_district(staff_client, known):
    building = make_building(lat=49.1430, lon=9.2200, address="D")
    for day in (3, 5):  # March 2024: two reports
        make_report(building, created_at=datetime(2024, 3, day, 9, tzinfo=UTC))
    db.session.commit()
    soup = BeautifulSoup(staff_client.get("/staff/statistics?from=2025-03&to=2025-03").get_data(as_text=True),
                         "html.parser")
    month = soup.select("table.stats")[0].select("tbody tr")[0]
    cells = [td.get_text() for td in month.select("td")]
    assert cells[:3] == ["03/2025", "4", "2"], cells          # received this March, and last March
    assert soup.select_one("line.target-line") is not None and soup.select("rect.previous-year")
    districts = soup.select("table.districts tbody tr")
    names = [tr.select("td")[0].get_text() for tr in districts]
    assert len(names) == len(set(names)), "one row per district"
    assert sum(int(tr.select("td")[1].get_text()) for tr in districts) == 4
    rows = statistics.district_summary(statistics.monthly(statistics.StatsQuery(date(2025, 3, 1), date(2025, 4, 1))))
    assert sum(d.removals for d in rows) == 3 and sum(d.cost_eur for d in rows) == 600.0


def test_a_bad_month_on_the_statistics_page_is_shown_at_its_field(staff_client):
    resp = staff_client.get("/staff/statistics?from=2025-13", headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    field = soup.select_one("#stats-form [name=from]")
    assert field["aria-invalid"] == "true" and field["value"] == "2025-13"
    assert soup.select_one("nav .staff-nav") is not None and soup.select_one("table.stats") is not None
