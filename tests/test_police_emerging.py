"""Emerging hot spots over the database: a place hit only in the last months is a consecutive hot spot; too few
reports give counts only; the month of a report is its month in the city's time zone."""
import csv
import io

import numpy as np

from tests.factories import seed_reports


def _centre(feature) -> np.ndarray:
    ring = np.array(feature["geometry"]["coordinates"][0][:-1])
    lon, lat = ring.mean(axis=0)
    return np.array([lon * 111_320 * np.cos(np.radians(49.14)), (lat - 49) * 110_574])


def test_a_place_hit_in_the_last_three_months_is_a_consecutive_hot_spot(police_client):
    rng = np.random.default_rng(4)
    for month in range(12):
        seed_reports(list(zip(rng.uniform(-2500, 2500, 60), rng.uniform(-2500, 2500, 60), strict=True)),
                     days_ago=15 + 30 * month)
    for days_ago in (15, 45, 75):
        seed_reports(list(zip(rng.normal(900, 20, 25), rng.normal(900, 20, 25), strict=True)), days_ago=days_ago)
    body = police_client.get("/api/v1/hotspots?method=emerging&permutations=99999").get_json()
    p = body["parameters"]
    assert p["statement"] is True and p["steps"] >= 12 and p["step"] == "month" and p["trend"] == "mann-kendall"
    hot = [f for f in body["features"] if f["properties"]["pattern"] == "consecutive_hot"]
    blob = max(police_client.get("/api/v1/hotspots?method=gistar").get_json()["features"],
               key=lambda f: f["properties"]["reports"])
    assert hot and all(np.hypot(*(_centre(f) - _centre(blob))) < 2.5 * 300 for f in hot)
    assert all(f["properties"]["hot_steps"] in (2, 3) for f in hot)
    assert body["summary"]["patterns"]["consecutive_hot"] == len(hot)
    # The same cells in the CSV export, with its header line.
    rows = list(csv.DictReader(io.StringIO(police_client.get(
        "/police/export/emerging.csv?permutations=99999").get_data(as_text=True))))
    assert {r["cell"] for r in rows if r["pattern"] == "consecutive_hot"} == {f["properties"]["cell"] for f in hot}
    assert {"trend_tau", "trend_p", "hot_steps", "lon", "lat"} <= set(rows[0])


def test_too_few_reports_or_steps_give_counts_only(police_client):
    seed_reports([(0.0, 0.0), (30.0, 0.0), (60.0, 10.0), (500.0, 0.0), (510.0, 5.0)], days_ago=20)
    body = police_client.get("/api/v1/hotspots?method=emerging", headers={"Accept-Language": "en"}).get_json()
    assert body["summary"]["statement"] is False and "Too few reports" in body["summary"]["message"]
    assert sum(f["properties"]["reports"] for f in body["features"]) == 5
    assert all(f["properties"]["pattern"] == "too_few_reports" and f["properties"]["trend_p"] is None
               for f in body["features"])
    quarters = police_client.get("/api/v1/hotspots?method=emerging&step=quarter").get_json()["parameters"]
    assert quarters["steps"] < 10 and quarters["statement"] is False
    assert police_client.get("/api/v1/hotspots?method=emerging&step=week").status_code == 400


def test_month_of_a_report_is_its_month_in_the_city(app):
    from datetime import UTC, datetime

    from app.services.police.analyses import month_index

    # 00:30 on 1 June in Heilbronn (CEST) is 22:30 UTC on 31 May; 23:30 on 31 December (CET) is 22:30 UTC.
    times = [datetime(2025, 5, 31, 22, 30, tzinfo=UTC), datetime(2025, 12, 31, 22, 30, tzinfo=UTC),
             datetime(2025, 5, 31, 21, 30, tzinfo=UTC)]
    days = np.array([t.timestamp() / 86400 for t in times])
    assert month_index(days).tolist() == [2025 * 12 + 5, 2025 * 12 + 11, 2025 * 12 + 4]
