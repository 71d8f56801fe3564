"""Police pages: role checks on every route, tags, logged contact access, exports, print, near-repeat."""
import csv
import io
import json
import re
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import ContactAccess, Removal, ReportTag, Tag
from app.services.police.tags import normalise
from tests.factories import seed_reports


def police_rules(app):
    """Every URL rule of the police blueprint with example values for its arguments."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("police."):
            url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, url, rule.endpoint))
    return out


def test_every_police_route_requires_the_police_role(app, client, staff_client, police_client):
    rules = police_rules(app)
    assert len(rules) >= 15
    for method, url, endpoint in rules:
        anon = client.open(url, method=method)
        assert anon.status_code == 302 and "/login" in anon.headers["Location"], (method, url)
        staff = staff_client.open(url, method=method)
        assert staff.status_code == 403, (method, url)
        police = police_client.open(url, method=method)
        if endpoint == "police.access_log":
            assert police.status_code == 403  # admins only
        else:
            assert police.status_code != 403, (method, url)


def test_police_pages_answer(app, police_client, admin_client):
    ids = seed_reports([(i * 3.0, 0.0) for i in range(20)] + [(2000.0, 1500.0)] * 3)
    for url in ["/police/", "/police/?from=2020-01-01&category=graffiti&weekday=1,2,3,4,5,6,7&hour=0-23",
                "/police/map/frame", "/police/print", "/police/near-repeat", "/police/reports",
                f"/police/reports/{ids[0]}", "/police/tags"]:
        resp = police_client.get(url)
        assert resp.status_code == 200, url
    png = police_client.get("/police/map.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert admin_client.get("/police/access-log").status_code == 200
    bad = police_client.get("/police/?from=yesterday", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    assert police_client.get("/police/reports/999999999").status_code == 404


def test_map_frame_loads_only_local_assets_and_has_layers(police_client):
    seed_reports([(i * 2.0, 0.0) for i in range(30)])
    html = police_client.get("/police/map/frame?eps=20&min_points=5").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    styles = re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts + styles), scripts + styles
    assert "L.control.layers" in html and "policeLegend" in html and "policeMonthly" in html
    assert "policeClusters" in html and "Kerndichte (Bandbreite 150 m)" in html


def test_tags_are_normalised_attached_and_removed(app, police_client):
    assert normalise("  N.O.I.Z ") == normalise("noiz") == "noiz"
    assert normalise("Zébo_1") == "zébo1"
    rid = seed_reports([(0.0, 0.0)])[0]
    resp = police_client.post(f"/police/reports/{rid}/tags", data={"tag": " N.O.I.Z "})
    assert resp.status_code == 302
    police_client.post(f"/police/reports/{rid}/tags", data={"tag": "noiz"})
    tag = db.session.scalar(select(Tag).where(Tag.name == "noiz"))
    assert tag.display_name == "N.O.I.Z"
    assert db.session.scalar(select(func.count()).select_from(ReportTag).where(ReportTag.report_id == rid)) == 1
    page = police_client.get(f"/police/tags/{tag.id}").get_data(as_text=True)
    assert "N.O.I.Z" in page
    bad = police_client.post(f"/police/reports/{rid}/tags", data={"tag": "..."})
    assert bad.status_code == 400
    police_client.post(f"/police/reports/{rid}/tags/{tag.id}/remove")
    assert db.session.scalar(select(func.count()).select_from(ReportTag).where(ReportTag.report_id == rid)) == 0


def test_staff_cannot_tag(staff_client):
    rid = seed_reports([(0.0, 0.0)])[0]
    assert staff_client.post(f"/police/reports/{rid}/tags", data={"tag": "krak"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Tag).where(Tag.name == "krak")) == 0


def test_tag_statistics_count_buildings_and_removal_cost(app, police_client):
    ids = seed_reports([(0.0, 0.0), (5.0, 0.0), (900.0, 900.0)])
    b = db.session.execute(text(
        "INSERT INTO buildings (footprint, owner_type) VALUES (ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(9.2, 49.14), "
        "4326), 0.0001)), 'private') RETURNING id")).scalar()
    db.session.execute(text("UPDATE reports SET building_id = :b WHERE id = ANY(:ids)"), {"b": b, "ids": ids[:2]})
    for rid, cost in ((ids[0], 120.5), (ids[1], 80)):
        db.session.add(Removal(report_id=rid, removed_on=db.func.current_date(), method="paint_over", area_m2=2,
                               cost_eur=cost))
    db.session.commit()
    for rid in ids:
        police_client.post(f"/police/reports/{rid}/tags", data={"tag": "Sekt"})
    from app.services.police.tags import tag_statistics

    tag = db.session.scalar(select(Tag).where(Tag.name == "sekt"))
    stats = tag_statistics(tag.id)[0]
    assert (stats["reports"], stats["buildings"], stats["removal_cost_eur"]) == (3, 1, 200.5)
    page = police_client.get("/police/tags").get_data(as_text=True)
    assert "200,50 €" in page  # the reader's locale: German decimal comma ...
    assert "200.50 €" in police_client.get("/police/tags?lang=en").get_data(as_text=True)  # ... English point


def test_user_text_is_escaped_in_maps_and_pages(police_client):
    rid = seed_reports([(0.0, 0.0)])[0]
    db.session.execute(text("UPDATE reports SET description = :d, address = :a WHERE id = :id"),
                       {"d": "<script>alert('d')</script>", "a": "<img src=x onerror=alert(1)>", "id": rid})
    db.session.commit()
    police_client.post(f"/police/reports/{rid}/tags", data={"tag": "<b>KRAK</b>"})
    tag = db.session.scalar(select(Tag).where(Tag.name == "bkrakb"))
    for url in ["/police/map/frame", f"/police/tags/{tag.id}/map"]:
        html = police_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>KRAK</b>" not in html, url
        assert "KRAK" in html
    page = police_client.get(f"/police/reports/{rid}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_contact_is_shown_only_on_request_and_every_access_is_logged(app, police_client, admin_client):
    rid = seed_reports([(0.0, 0.0)])[0]
    db.session.execute(text("UPDATE reports SET reporter_email = 'anna@example.org', reporter_phone = '0711 123' "
                            "WHERE id = :id"), {"id": rid})
    db.session.commit()
    page = police_client.get(f"/police/reports/{rid}").get_data(as_text=True)
    assert "anna@example.org" not in page and "0711 123" not in page
    assert db.session.scalar(select(func.count()).select_from(ContactAccess)) == 0
    for export in ("/police/export/incidents.csv", "/police/export/incidents.geojson"):
        assert "anna@example.org" not in police_client.get(export).get_data(as_text=True)
    resp = police_client.post(f"/police/reports/{rid}/contact", data={"reason": "Az 123/26"})
    assert resp.status_code == 200 and "anna@example.org" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    entries = db.session.scalars(select(ContactAccess)).all()
    assert [(e.user_id, e.report_id, e.reason) for e in entries] == [(police_client.user.id, rid, "Az 123/26")]
    assert entries[0].accessed_at is not None
    log_page = admin_client.get("/police/access-log").get_data(as_text=True)
    assert police_client.user.email in log_page and "Az 123/26" in log_page and f">{rid}<" in log_page
    assert police_client.get("/police/access-log").status_code == 403


def test_exports_geojson_and_csv(police_client):
    seed_reports([(i * 3.0, 0.0) for i in range(15)])
    q = "?eps=20&min_points=5"
    gj = json.loads(police_client.get("/police/export/clusters.geojson" + q).get_data(as_text=True))
    assert gj["type"] == "FeatureCollection" and gj["parameters"]["eps_m"] == 20
    assert [f["properties"]["reports"] for f in gj["features"]] == [15]
    rows = list(csv.DictReader(io.StringIO(police_client.get("/police/export/clusters.csv" + q).get_data(as_text=True))))
    assert rows[0]["reports"] == "15" and float(rows[0]["lon"]) > 9
    resp = police_client.get("/police/export/gistar.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    cells = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert sum(int(c["reports"]) for c in cells) == 15 and {"z", "p", "class"} <= set(cells[0])
    inc = json.loads(police_client.get("/police/export/incidents.geojson").get_data(as_text=True))
    assert len(inc["features"]) == 15 and inc["features"][0]["geometry"]["type"] == "Point"
    assert police_client.get("/police/export/secrets.csv").status_code == 404


def test_csv_export_neutralises_formulas(police_client):
    rid = seed_reports([(0.0, 0.0)])[0]
    db.session.execute(text("UPDATE reports SET description = '=HYPERLINK(\"http://x\")' WHERE id = :id"), {"id": rid})
    db.session.commit()
    body = police_client.get("/police/export/incidents.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_near_repeat_page_shows_the_knox_table(police_client):
    seed_reports([(i * 10.0, 0.0) for i in range(12)])
    page = police_client.get("/police/near-repeat?distances=0,100,200&days=0,7,14&permutations=19")
    text_ = page.get_data(as_text=True)
    assert page.status_code == 200 and "0–100 m" in text_ and "0–7" in text_
    # 12 reports 10 m apart on one day: shuffling the dates changes nothing, so no band is raised.
    assert "In keiner Entfernung und Zeitspanne ist das Risiko deutlich erhöht" in text_
    assert "1/(19 + 1) = 0,05" in text_ and 'data-figure="smallest-p"' in text_
    # Ten pairs, each two reports 10 m apart on one day, the pairs 300 m and 30 days apart: near repeats.
    for k in range(10):
        seed_reports([(300.0 * k, 500.0), (300.0 * k + 10, 500.0)], days_ago=40 + 30 * k)
    text_ = police_client.get("/police/near-repeat?distances=0,100,200&days=0,7,14&permutations=99&from="
                              f"{date.today() - timedelta(days=400)}").get_data(as_text=True)
    sentence = re.search(r'data-figure="near-repeat-summary">\s*([^<]+)<', text_)[1]
    assert sentence.startswith("Innerhalb von 100 m und 7 Tagen nach einem Vorfall ist das Risiko")
    bad = police_client.get("/police/near-repeat?distances=100,50", headers={"Accept": "text/html"})
    assert bad.status_code == 400


def test_print_page_has_map_image_and_figures(police_client):
    seed_reports([(i * 3.0, 0.0) for i in range(15)])
    page = police_client.get("/police/print?eps=20&min_points=5").get_data(as_text=True)
    assert "/police/map.png?eps=20" in page and "PAI" in page and "RRI" in page


def test_map_and_figures_read_the_reports_once_per_period(police_client, monkeypatch):
    """Maps of long periods stay fast: every layer works from one fetch of the filtered reports."""
    from app.services.police import points

    seed_reports([(i * 2.0, 0.0) for i in range(30)])
    periods = []
    original = points.fetch_points

    def counting(f, attributes=False):
        periods.append((f.start, attributes))
        return original(f, attributes)
    monkeypatch.setattr(points, "fetch_points", counting)
    assert police_client.get("/police/map/frame?eps=20&min_points=5").status_code == 200
    assert len(periods) == 1 and periods[0][1]
    periods.clear()
    assert police_client.get("/police/?eps=20&min_points=5").status_code == 200
    assert len(periods) == len(set(periods)) == 2  # the chosen period and, for PAI/RRI, the one before


def test_empty_exports_have_their_header_line(police_client):
    """A selection without reports still gives a CSV with its columns and an (empty) FeatureCollection (the Gi*
    export lists every cell of the grid, with its count 0)."""
    from app.services.police.exports import EXPORT_FIELDS

    q = "?from=2001-01-01&to=2001-01-31"
    for kind, fields in EXPORT_FIELDS.items():
        resp = police_client.get(f"/police/export/{kind}.csv{q}")
        assert resp.status_code == 200, kind
        lines = resp.get_data(as_text=True).splitlines()
        assert lines[0] == ",".join([*fields, "lon", "lat"]), kind
        gj = police_client.get(f"/police/export/{kind}.geojson{q}").get_json(force=True)
        assert gj["type"] == "FeatureCollection" and gj["parameters"]["from"] == "2001-01-01"
        if kind == "gistar":
            assert {int(line.split(",")[1]) for line in lines[1:]} == {0}
        else:
            assert lines[1:] == [] and gj["features"] == [], kind


def test_export_columns_are_the_features_properties(police_client):
    from app.services.police.exports import EXPORT_FIELDS

    seed_reports([(i * 3.0, 0.0) for i in range(15)])
    for kind, fields in EXPORT_FIELDS.items():
        gj = police_client.get(f"/police/export/{kind}.geojson?eps=20&min_points=5").get_json(force=True)
        assert gj["features"], kind
        assert list(gj["features"][0]["properties"]) == fields, kind
        header = police_client.get(f"/police/export/{kind}.csv?eps=20&min_points=5").get_data(as_text=True)
        assert header.splitlines()[0] == ",".join([*fields, "lon", "lat"]), kind


def test_print_answers_for_every_filter_combination(police_client):
    """The printable page and its image with categories, weekdays, hours, district, tag and time basis, alone, in
    pairs and all together (a category used to give a 500)."""
    from itertools import combinations

    ids = seed_reports([(i * 3.0, 0.0) for i in range(15)])
    district = db.session.execute(text("SELECT id FROM districts ORDER BY id LIMIT 1")).scalar()
    tag = police_client.post(f"/police/reports/{ids[0]}/tags", data={"tag": "ABC"})
    assert tag.status_code == 302
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == "abc"))
    parts = ["category=graffiti&category=sticker", "weekday=5,6", "hour=20-4", f"district={district}",
             f"tag={tag_id}", "time=reported"]
    for n in (0, 1, 2, len(parts)):  # every filter, every pair, all together
        for combo in combinations(parts, n):
            q = "&".join([*combo, "permutations=99"])
            page = police_client.get(f"/police/print?{q}")
            assert page.status_code == 200, q
            assert police_client.get(f"/police/map.png?{q}").status_code == 200, q
    page = police_client.get("/police/print?category=graffiti").get_data(as_text=True)
    assert "Graffiti" in page and "/police/map.png?category=graffiti" in page


def test_report_list_and_tag_pages_show_the_photos(client, police_client):
    """Police see the citizens' photos: thumbnails on the report, the list and the tag page, each a link to the
    full-size photo, which the server sends."""
    from tests.factories import jpeg_bytes, post

    answer = post(client, photos=[jpeg_bytes(size=(800, 600)), jpeg_bytes(color=(20, 160, 40))], description="mit Foto")
    assert answer.status_code == 201, answer.get_json()
    rid = answer.get_json()["id"]
    police_client.post(f"/police/reports/{rid}/tags", data={"tag": "Fotoprobe"})
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == "fotoprobe"))
    pages = {"report": f"/police/reports/{rid}", "list": "/police/reports",
             "tag": f"/police/tags/{tag_id}"}
    for where, url in pages.items():
        html = police_client.get(url).get_data(as_text=True)
        block = re.search(rf'<ul class="thumbs[^"]*" data-photos="{rid}">(.*?)</ul>', html, re.S)
        assert block, where
        links = re.findall(r'<a href="([^"]+)"[^>]*><img src="([^"]+)"', block[1])
        assert len(links) == 2, where
        sizes = []
        for full, thumb in links:
            for url_ in (full, thumb):
                with police_client.get(url_) as resp:
                    assert resp.status_code == 200 and resp.mimetype == "image/jpeg", where
                    sizes.append(Image.open(io.BytesIO(resp.data)).size)
        assert (800, 600) in sizes[0::2] and (800, 600) not in sizes[1::2], (where, sizes)  # the link: full size
    other = seed_reports([(0.0, 0.0)])[0]
    assert "Die Meldung hat keine Fotos." in police_client.get(f"/police/reports/{other}").get_data(as_text=True)
