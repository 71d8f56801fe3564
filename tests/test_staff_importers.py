"""`flask import-buildings` and `flask import-reports`: mapping, idempotent re-import, rejects files."""
import csv
import json
from datetime import date
import sqlite3
import struct

from pyproj import Transformer
from shapely.geometry import box
from sqlalchemy import func, select

from app.extensions import db
from app.models import Building, Report, StatusEvent
from app.services.staff import statistics

INSIDE = (9.2185, 49.1418)     # lon, lat (Marktplatz)
OUTSIDE = (9.2255, 49.1920)    # Neckarsulm


def _square(lon, lat, d=0.0001):
    return box(lon - d, lat - d, lon + d, lat + d).__geo_interface__


def _fc(features):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]}


def _read_rejects(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.reader(f))


def test_import_buildings_maps_attributes_updates_on_reimport_and_lists_rejects(runner, tmp_path):
    src = tmp_path / "buildings.geojson"
    src.write_text(json.dumps(_fc([
        ({"gid": "A-1", "strasse": "Marktplatz 7", "eigentum": "Stadt", "amt": "Hochbauamt"}, _square(*INSIDE)),
        ({"gid": "A-2", "strasse": "Allee 1", "eigentum": "Privat"}, _square(9.2160, 49.1445)),
        ({"gid": "A-3", "strasse": "Weit weg", "eigentum": "Stadt"}, _square(*OUTSIDE)),
        ({"gid": "", "strasse": "ohne ID"}, _square(9.2170, 49.1430)),
        ({"gid": "A-5", "eigentum": "Stadt"}, {"type": "Point", "coordinates": list(INSIDE)}),
        ({"gid": "A-6", "eigentum": "Kirche"}, _square(9.2150, 49.1400)),
    ])))
    args = ["import-buildings", str(src), "--id-field", "gid", "--address-field", "strasse", "--owner-field",
            "eigentum", "--owner-map", "Stadt=municipal,Privat=private", "--department-field", "amt"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 4 rejected" in result.output
    a1 = db.session.scalar(select(Building).where(Building.external_id == "A-1"))
    assert (a1.address, a1.owner_type, a1.department) == ("Marktplatz 7", "municipal", "Hochbauamt")
    assert a1.district_id is not None
    rejects = _read_rejects(tmp_path / "buildings.geojson.rejects.csv")
    assert rejects[0] == ["feature", "reason"]
    reasons = {int(n): reason for n, reason in rejects[1:]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "outside the city boundary" in reasons[3]
    assert "no external id" in reasons[4]
    assert "not a polygon" in reasons[5]
    assert "Kirche" in reasons[6] and "--owner-map" in reasons[6]

    # Re-import with a changed address: updated, not duplicated
    data = json.loads(src.read_text())
    data["features"][0]["properties"]["strasse"] = "Marktplatz 7/1"
    src.write_text(json.dumps(data))
    result = runner.invoke(args=args)
    assert "0 created, 2 updated" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Building).where(Building.external_id == "A-1")) == 1
    db.session.expire_all()
    assert db.session.scalar(select(Building.address).where(Building.external_id == "A-1")) == "Marktplatz 7/1"


def _gpkg_blob(geom_wkb: bytes, srs_id=4326):
    return b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id) + geom_wkb


def test_import_buildings_from_a_geopackage(runner, tmp_path):
    path = tmp_path / "b.gpkg"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,"
                 " srs_id INTEGER, z INTEGER, m INTEGER)")
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('haeuser', 'geom', 'POLYGON', 25832, 0, 0)")
    conn.execute("CREATE TABLE haeuser (fid INTEGER PRIMARY KEY, geom BLOB, oid TEXT, adr TEXT)")
    to_utm = Transformer.from_crs(4326, 25832, always_xy=True)
    x, y = to_utm.transform(*INSIDE)
    conn.execute("INSERT INTO haeuser (geom, oid, adr) VALUES (?, 'G-1', 'Kirchbrunnenstraße 1')",
                 (_gpkg_blob(box(x - 8, y - 8, x + 8, y + 8).wkb, 25832),))
    conn.commit()
    conn.close()
    result = runner.invoke(args=["import-buildings", str(path), "--id-field", "oid", "--address-field", "adr",
                                 "--default-owner", "public"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    b = db.session.scalar(select(Building).where(Building.external_id == "G-1"))
    assert b.owner_type == "public"
    area = db.session.scalar(select(func.ST_Area(Building.footprint_m)).where(Building.id == b.id))
    assert 250 < area < 260  # 16 m x 16 m, in metres: the EPSG:25832 input was transformed correctly


def test_import_reports_csv_with_projected_coordinates_date_format_and_rejects(runner, tmp_path):
    to_2263 = Transformer.from_crs(4326, 2263, always_xy=True)
    ix, iy = to_2263.transform(*INSIDE)
    ox, oy = to_2263.transform(*OUTSIDE)
    src = tmp_path / "old.csv"
    rows = [
        ["Nr", "X", "Y", "Eingang", "Erledigt", "Zustand", "Ort"],
        ["H-1", f"{ix:.3f}", f"{iy:.3f}", "03.02.2025 08:15", "10.02.2025 12:00", "Erledigt", "Marktplatz"],
        ["H-2", f"{ix + 30:.3f}", f"{iy:.3f}", "04.02.2025 09:00", "", "Offen", "Marktplatz 2"],
        ["H-3", "abc", f"{iy:.3f}", "04.02.2025 09:00", "", "Offen", "kaputt"],
        ["H-4", f"{ix:.3f}", f"{iy:.3f}", "05.02.2025 09:00", "01.02.2025 09:00", "Erledigt", "rückwärts"],
        ["H-5", f"{ox:.3f}", f"{oy:.3f}", "05.02.2025 09:00", "", "Offen", "Neckarsulm"],
        ["H-6", f"{ix:.3f}", f"{iy:.3f}", "2025-02-05", "", "Offen", "falsches Datum"],
        ["H-7", f"{ix:.3f}", f"{iy:.3f}", "06.02.2025 09:00", "", "Verloren", "unbekannter Status"],
    ]
    with src.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    args = ["import-reports", str(src), "--delimiter", ";", "--id-col", "Nr", "--x-col", "X", "--y-col", "Y",
            "--crs", "2263", "--created-col", "Eingang", "--closed-col", "Erledigt", "--date-format",
            "%d.%m.%Y %H:%M", "--status-col", "Zustand", "--status-map", "Offen=new,Erledigt=closed",
            "--address-col", "Ort", "--rejects", str(tmp_path / "rejects.csv")]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 5 rejected" in result.output
    rejects = _read_rejects(tmp_path / "rejects.csv")
    assert rejects[0] == ["line", "reason"]
    reasons = {int(n): r for n, r in rejects[1:]}
    assert set(reasons) == {4, 5, 6, 7, 8}  # line numbers in the file (header is line 1)
    assert "bad coordinates" in reasons[4]
    assert "closed before it was opened" in reasons[5]
    assert "outside the city boundary" in reasons[6]
    assert "bad date" in reasons[7]
    assert "Verloren" in reasons[8]

    h1 = db.session.scalar(select(Report).where(Report.external_id == "H-1"))
    assert (h1.status, h1.source, h1.address) == ("closed", "import", "Marktplatz")
    assert h1.created_at.isoformat() == "2025-02-03T07:15:00+00:00"  # local time (CET) -> UTC
    assert h1.removed_at is not None and h1.closed_at == h1.removed_at
    lon, lat = db.session.execute(select(func.ST_X(Report.location), func.ST_Y(Report.location))
                                  .where(Report.id == h1.id)).one()
    assert abs(lon - INSIDE[0]) < 1e-5 and abs(lat - INSIDE[1]) < 1e-5
    assert h1.due_at is not None and h1.district_id is not None
    events = db.session.scalars(select(StatusEvent.to_status).where(StatusEvent.report_id == h1.id)
                                .order_by(StatusEvent.created_at)).all()
    assert events == ["new", "closed"]

    # idempotent: a second run updates and never duplicates
    result = runner.invoke(args=args)
    assert "0 created, 2 updated, 5 rejected" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.source == "import")) == 2


def test_import_reports_geojson_lat_lon(runner, tmp_path):
    src = tmp_path / "old.geojson"
    src.write_text(json.dumps(_fc([
        ({"id": "J-1", "created": "2025-03-01T10:00:00+01:00", "status": "new"},
         {"type": "Point", "coordinates": list(INSIDE)}),
        ({"id": "J-2", "created": "2025-03-01T10:00:00+01:00"}, _square(*INSIDE)),
    ])))
    result = runner.invoke(args=["import-reports", str(src)])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 1 rejected" in result.output
    rejects = _read_rejects(tmp_path / "old.geojson.rejects.csv")
    assert rejects[1][0] == "2" and "not a point" in rejects[1][1]


def test_import_reports_refuses_a_file_without_the_columns(runner, tmp_path):
    src = tmp_path / "x.csv"
    src.write_text("a,b\n1,2\n")
    result = runner.invoke(args=["import-reports", str(src)])
    assert result.exit_code != 0
    assert "has no column 'id' for --id-col; columns: #1 'a', #2 'b'" in result.output


def test_import_reports_rejects_ids_twice_or_missing_future_dates_and_unknown_categories(runner, tmp_path):
    src = tmp_path / "old.csv"
    rows = [
        ["id", "lat", "lon", "created", "art"],
        ["K-1", INSIDE[1], INSIDE[0], "2025-03-01T10:00:00+01:00", "Schmiererei"],
        ["K-1", INSIDE[1], INSIDE[0], "2025-03-02T10:00:00+01:00", "Schmiererei"],
        ["", INSIDE[1], INSIDE[0], "2025-03-02T10:00:00+01:00", "Schmiererei"],
        ["K-4", INSIDE[1], INSIDE[0], "2999-01-01T10:00:00+01:00", "Schmiererei"],
        ["K-5", INSIDE[1], INSIDE[0], "2025-03-02T10:00:00+01:00", "Kreide"],
        ["K-6", INSIDE[1], INSIDE[0], "2025-03-02T10:00:00+01:00", ""],
    ]
    with src.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    result = runner.invoke(args=["import-reports", str(src), "--category-col", "art", "--category-map",
                                 "Schmiererei=graffiti"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 4 rejected" in result.output
    reasons = {int(n): r for n, r in _read_rejects(tmp_path / "old.csv.rejects.csv")[1:]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "'K-1' appears twice" in reasons[3]
    assert "no external id in column 'id'" in reasons[4]
    assert "future" in reasons[5]
    assert "'Kreide'" in reasons[6] and "graffiti" in reasons[6]
    categories = dict(db.session.execute(select(Report.external_id, Report.category)
                                         .where(Report.external_id.in_(["K-1", "K-6"]))).all())
    assert categories == {"K-1": "graffiti", "K-6": "graffiti"}  # mapped; no value: the default


def _nyc_style(path, rows):
    """A CSV like New York's published graffiti file: the id column has no header."""
    header = ["", "Created Date", "Closed Date", "Status", "Latitude", "Longitude"]
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


NYC_ARGS = ["--created-col", "Created Date", "--closed-col", "Closed Date", "--status-col", "Status",
            "--status-map", "Open=new,Closed=closed", "--lat-col", "Latitude", "--lon-col", "Longitude"]


def test_a_column_without_a_header_is_chosen_by_position_or_as_the_empty_one(runner, tmp_path):
    src = tmp_path / "nyc.csv"
    _nyc_style(src, [["G-1", "2019-03-04T10:00:00", "", "Open", INSIDE[1], INSIDE[0]],
                     ["G-2", "2019-03-05T10:00:00", "", "Open", INSIDE[1], INSIDE[0]]])
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "#1", *NYC_ARGS])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 rejected" in result.output
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "", *NYC_ARGS])  # the headerless one
    assert "0 created, 2 updated, 0 rejected" in result.output, result.output
    ids = db.session.scalars(select(Report.external_id).where(Report.external_id.in_(["G-1", "G-2"]))).all()
    assert sorted(ids) == ["G-1", "G-2"]
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "#9", *NYC_ARGS])
    assert result.exit_code != 0
    assert "no column '#9' for --id-col; columns: #1 '', #2 'Created Date'" in result.output


def test_repeated_ids_are_rejected_after_the_first_even_when_the_first_is_rejected(runner, tmp_path):
    src = tmp_path / "nyc.csv"
    _nyc_style(src, [["G-1", "2019-03-04T10:00:00", "", "Open", INSIDE[1], INSIDE[0]],
                     ["G-1", "2019-03-05T10:00:00", "", "Open", INSIDE[1], INSIDE[0]],
                     ["G-2", "2019-03-05T10:00:00", "2019-03-01T10:00:00", "Closed", INSIDE[1], INSIDE[0]],
                     ["G-2", "2019-03-05T10:00:00", "", "Open", INSIDE[1], INSIDE[0]]])
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "#1", *NYC_ARGS])
    assert "1 created, 0 updated, 3 rejected" in result.output, result.output
    reasons = dict(_read_rejects(tmp_path / "nyc.csv.rejects.csv")[1:])
    assert reasons == {"3": "external id 'G-1' appears twice in the file (first on line 2)",
                       "4": "closed before it was opened",
                       "5": "external id 'G-2' appears twice in the file (first on line 4)"}
    created = db.session.scalar(select(Report.created_at).where(Report.external_id == "G-1"))
    assert created.day == 4  # the first row counts


def test_finished_without_a_closing_date_is_imported_with_the_date_unknown_and_a_warning(runner, tmp_path):
    src = tmp_path / "nyc.csv"
    _nyc_style(src, [["G-1", "2019-03-04T10:00:00", "2019-03-08T10:00:00", "Closed", INSIDE[1], INSIDE[0]],
                     ["G-2", "2019-03-05T10:00:00", "", "Closed", INSIDE[1], INSIDE[0]],
                     ["G-3", "2019-03-06T10:00:00", "", "Open", INSIDE[1], INSIDE[0]]])
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "", *NYC_ARGS])
    assert "3 created, 0 updated, 0 rejected, 1 imported with a warning" in result.output, result.output
    warnings = _read_rejects(tmp_path / "nyc.csv.warnings.csv")
    assert warnings == [["line", "warning"], ["3", "status 'Closed' without a closing date: imported as closed "
                                                    "with the date unknown (left out of the removal times)"]]
    g2 = db.session.scalar(select(Report).where(Report.external_id == "G-2"))
    assert (g2.status, g2.closed_at, g2.removed_at) == ("closed", None, None)
    notes = db.session.scalars(select(StatusEvent.note).where(StatusEvent.report_id == g2.id)
                               .order_by(StatusEvent.id)).all()
    assert notes == ["imported", "imported; date unknown"]
    # the removal times know only G-1's four days; G-2 counts as received, not as a removal of some month
    rows = statistics.monthly(statistics.StatsQuery(date(2019, 1, 1), date(2020, 1, 1)), by_district=False)
    assert [(r.month, r.received, r.removals, r.median_days) for r in rows] == [(date(2019, 3, 1), 3, 1, 4.0)]


def test_the_rejects_and_warnings_files_always_tell_about_the_last_run(runner, tmp_path):
    src = tmp_path / "nyc.csv"
    _nyc_style(src, [["G-1", "2019-03-04T10:00:00", "", "Closed", INSIDE[1], INSIDE[0]],
                     ["G-2", "nonsense", "", "Open", INSIDE[1], INSIDE[0]]])
    runner.invoke(args=["import-reports", str(src), "--id-col", "#1", *NYC_ARGS])
    assert len(_read_rejects(tmp_path / "nyc.csv.rejects.csv")) == 2
    assert len(_read_rejects(tmp_path / "nyc.csv.warnings.csv")) == 2
    _nyc_style(src, [["G-1", "2019-03-04T10:00:00", "2019-03-05T10:00:00", "Closed", INSIDE[1], INSIDE[0]],
                     ["G-2", "2019-03-04T10:00:00", "", "Open", INSIDE[1], INSIDE[0]]])
    result = runner.invoke(args=["import-reports", str(src), "--id-col", "#1", *NYC_ARGS])
    assert "0 rejected" in result.output, result.output
    assert _read_rejects(tmp_path / "nyc.csv.rejects.csv") == [["line", "reason"]]
    assert _read_rejects(tmp_path / "nyc.csv.warnings.csv") == [["line", "warning"]]
