"""Estimated time of offence on the police pages: windows from the last removal at the place to the report."""
import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest

from app.extensions import db
from app.services.core.workdays import city_timezone, local_today
from app.services.police import offence_time
from app.services.police.filters import parse_filters
from tests.factories import make_building, make_report, offset


def _at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=city_timezone())


@pytest.fixture
def place(app):
    """A building with a removal, and reports after it: on the building, 10 m away, 200 m away, too late."""
    day0 = local_today() - timedelta(days=25)
    b = make_building(address="Kaiserstraße 5")
    first = make_report(b, created_at=_at(day0, 9))
    first.removed_at = _at(day0 + timedelta(days=2), 15)  # known clean from midnight of that day
    lat, lon = offset(*_latlon(b), east_m=10)
    far_lat, far_lon = offset(*_latlon(b), east_m=200)
    reports = {
        "first": first,
        "same_building": make_report(b, created_at=_at(day0 + timedelta(days=3), 10)),  # 34 hours
        "near": make_report(lat=lat, lon=lon, created_at=_at(day0 + timedelta(days=5), 8)),  # 80 hours
        "far": make_report(lat=far_lat, lon=far_lon, created_at=_at(day0 + timedelta(days=4), 12)),
        "too_late": make_report(b, created_at=_at(day0 + timedelta(days=19), 12)),  # 17 days > 14
    }
    db.session.flush()
    return day0, reports


def _latlon(building):
    from geoalchemy2.shape import to_shape
    c = to_shape(building.footprint).centroid
    return c.y, c.x


def _filters(day0):
    return parse_filters({"from": (day0 - timedelta(days=1)).isoformat(), "to": local_today().isoformat()})


def test_windows_start_at_midnight_of_the_last_removal_at_the_building_or_within_15_m(place):
    day0, r = place
    got = {i: s for i, s, _ in offence_time.windows(_filters(day0))}
    clean = _at(day0 + timedelta(days=2), 0)
    assert got[r["same_building"].id] == clean and got[r["near"].id] == clean
    assert got[r["too_late"].id] == clean
    assert got[r["first"].id] is None and got[r["far"].id] is None


def test_profile_spreads_known_windows_and_leaves_out_unknown_and_too_long_ones(place):
    day0, r = place
    fig = offence_time.time_figures(_filters(day0))
    assert (fig["known"], fig["total"], fig["max_days"]) == (2, 5, 14)
    off = {d: o for d, _, o in fig["weekdays"]}
    rep = {d: shown for d, shown, _ in fig["weekdays"]}
    assert sum(off.values()) == pytest.approx(1.0) and sum(rep.values()) == pytest.approx(1.0)
    # By hand: the same-building report's 34 hours are 24 on day 2 and 10 on day 3; the near one's 80 hours
    # are 24 on each of days 2, 3, 4 and 8 on day 5. Each report weighs one; two reports known.
    wd = {k: (day0 + timedelta(days=k)).isoweekday() for k in range(2, 6)}
    expected = {wd[2]: 24 / 34 + 24 / 80, wd[3]: 10 / 34 + 24 / 80, wd[4]: 24 / 80, wd[5]: 8 / 80}
    for day, weight in expected.items():
        assert off[day] == pytest.approx(weight / 2)
    hours = {h: o for h, _, o in fig["hours"]}
    assert hours[9] == pytest.approx((2 / 34 + 3 / 80) / 2)  # 9-10 h on days 2 and 3; 2, 3 and 4 for the near one
    assert hours[7] == pytest.approx((2 / 34 + 4 / 80) / 2)  # and 7-8 h also on day 5 for the near one
    assert hours[12] == pytest.approx((1 / 34 + 3 / 80) / 2)


def test_hotspot_page_states_both_times_in_the_readers_language(place, police_client):
    day0, _ = place
    query = f"from={(day0 - timedelta(days=1)).isoformat()}&weekday=1"
    page = police_client.get(f"/police/?{query}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "geschätzte Tatzeit (aoristisch)" in page and "Zeit der Meldung" in page
    assert "2 von 5 Meldungen" in page  # the weekday filter does not narrow the time profile
    assert re.search(r'data-basis="offence">\d+,\d\u00a0%<', page)  # German decimal comma
    en = police_client.get(f"/police/?{query}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "estimated time of offence (aoristic)" in en and "time reported" in en
    assert "2 of 5 reports" in en and re.search(r'data-basis="offence">\d+\.\d%<', en)
    print_page = police_client.get(f"/police/print?{query}&category=graffiti")
    assert print_page.status_code == 200 and "geschätzte Tatzeit" in print_page.get_data(as_text=True)


def _exported_ids(client, query):
    resp = client.get(f"/police/export/incidents.csv?{query}")
    assert resp.status_code == 200
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(resp.get_data(as_text=True)))}


def test_weekday_filter_by_estimated_time_of_offence_keeps_reports_with_most_of_their_window_there(
        place, police_client):
    day0, r = place
    wd = {k: (day0 + timedelta(days=k)).isoweekday() for k in range(2, 6)}
    base = f"from={(day0 - timedelta(days=1)).isoformat()}&to={local_today().isoformat()}"
    # Day 2 holds 24 of the same-building report's 34 hours, 24 of the near report's 80.
    assert _exported_ids(police_client, f"{base}&time=offence&weekday={wd[2]}") == {r["same_building"].id}
    # Days 2 and 3: 48 of 80 hours for the near one too; the others have no known window (or too long a one).
    assert _exported_ids(police_client, f"{base}&time=offence&weekday={wd[2]},{wd[3]}") == {
        r["same_building"].id, r["near"].id}
    # By the time reported, the same filter finds the reports made on those days: none of the two.
    assert _exported_ids(police_client, f"{base}&weekday={wd[2]}") == set()
    assert _exported_ids(police_client, f"{base}&weekday={wd[3]}") == {r["same_building"].id}
    # Hours 0-5 hold 12 of 34 and 24 of 80 hours: under half for both.
    assert _exported_ids(police_client, f"{base}&time=offence&hour=0-5") == set()
    assert _exported_ids(police_client, f"{base}&time=offence&hour=0-16") == {r["same_building"].id, r["near"].id}
    bad = police_client.get(f"/police/?{base}&time=seen", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "offence" in bad.get_data(as_text=True)
    page = police_client.get(f"/police/print?{base}&time=offence&weekday={wd[2]}&category=graffiti")
    assert page.status_code == 200 and "(geschätzte Tatzeit (aoristisch))" in page.get_data(as_text=True)


def test_every_figure_is_explained_in_visible_text_in_both_languages(place, police_client):
    day0, _ = place
    query = f"from={(day0 - timedelta(days=1)).isoformat()}"
    for lang, words in (("de", ("Trefferquote: Anteil", "PAI: diese Trefferquote", "RRI: wie sich", "Hotspot (Coldspot)",
                                "Ein Cluster ist eine Gruppe", "Hügel dieser Breite", "geschätzte Tatzeit")),
                        ("en", ("Hit rate: the share", "PAI: this hit rate", "RRI: how the number", "hot spot (cold spot)",
                                "A cluster is a group", "hill of this width", "estimated time of offence"))):
        page = police_client.get(f"/police/?{query}&lang={lang}").get_data(as_text=True)
        explained = " ".join(re.findall(r'data-explain="\w+">([^<]+)<', page)) + page
        for w in words:
            assert w in explained, (lang, w)
        assert len(re.findall(r'data-explain="(\w+)"', page)) == 4


def test_large_selections_estimate_the_time_of_offence_from_a_fixed_sample(place, police_client, monkeypatch):
    day0, r = place
    monkeypatch.setattr(offence_time, "SAMPLE", 3)
    fig = offence_time.time_figures(_filters(day0))
    assert fig["sampled"] and fig["total"] == 3 and fig["reports"] == 5
    assert sum(rep for _, rep, _ in fig["weekdays"]) == pytest.approx(1.0)  # the time reported counts all five
    again = offence_time.time_figures(_filters(day0))
    assert again["weekdays"] == fig["weekdays"]  # the same sample every time
    page = police_client.get(f"/police/?from={(day0 - timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "festen Stichprobe von 3 der 5 Meldungen" in page


def test_the_filter_by_time_of_offence_has_a_work_budget(place, police_client, monkeypatch):
    day0, _ = place
    monkeypatch.setattr(offence_time, "MAX_FILTERED", 4)
    base = f"from={(day0 - timedelta(days=1)).isoformat()}&to={local_today().isoformat()}"
    resp = police_client.get(f"/police/export/incidents.csv?{base}&time=offence&weekday=1",
                             headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "bis 4 Meldungen" in resp.get_data(as_text=True)
    assert police_client.get(f"/police/export/incidents.csv?{base}&weekday=1").status_code == 200
