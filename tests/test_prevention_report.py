"""The yearly report: the PDF of the demo year renders (poppler finds pages and the year's totals, computed here
from the database), in German and English, from the command line and as a download for the prevention role."""
import subprocess
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, format_decimal
from sqlalchemy import text

from app.extensions import db
from app.services.core.demo import seed_demo
from app.services.core.workdays import local_midnight

pytestmark = pytest.mark.skipif(subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
                                reason="poppler-utils missing (scripts/ensure-package.sh installs them)")


@pytest.fixture
def demo_year(app):
    seed_demo(n_reports=1500, seed=7, until=datetime(2026, 11, 20, tzinfo=UTC), progress=lambda *_: None)
    db.session.flush()
    return 2026


def _totals(year):
    span = {"a": local_midnight(date(year, 1, 1)), "b": local_midnight(date(year + 1, 1, 1))}
    received = db.session.scalar(text("SELECT count(*) FROM reports WHERE created_at >= :a AND created_at < :b"), span)
    removed, cost = db.session.execute(text(
        "SELECT count(DISTINCT r.id), sum(x.cost_eur) FROM reports r JOIN removals x ON x.report_id = r.id "
        "WHERE r.removed_at >= :a AND r.removed_at < :b"), span).one()
    return received, removed, float(cost)


def _pdf_text(path):
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    n_pages = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    return n_pages, subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout


def test_the_demo_years_pdf_renders_with_its_totals(app, runner, demo_year, tmp_path):
    received, removed, cost = _totals(demo_year)
    assert received > 300 and removed > 50
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["prevention-report", "--year", str(demo_year), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Hotspot map (Gi*)" in result.output and "Evaluating the measures" in result.output  # progress on the way
    pngs = subprocess.run(["pdftoppm", "-r", "30", "-png", str(out), str(tmp_path / "page")], check=True)
    assert pngs.returncode == 0 and len(list(tmp_path.glob("page*.png"))) >= 3
    n_pages, body = _pdf_text(out)
    assert n_pages >= 3 and f"Graffiti yearly report {demo_year}" in body
    with app.test_request_context(), force_locale("en"):
        figures = [format_decimal(received, "#,##0"), format_decimal(removed, "#,##0"),
                   format_decimal(cost, "#,##0.00")]
    line = next(line for line in body.splitlines() if line.strip().startswith("Reports "))
    assert figures[0] in line, (figures, line)
    assert figures[1] in next(line for line in body.splitlines() if line.strip().startswith("Removals "))
    assert figures[2] in body
    assert "buerger" not in body and "@example.org" not in body                   # no reporter, no account
    for tag in ("NOIZ", "KRAK", "ZEBO"):
        assert tag not in body                                                   # tags as counts only


def test_the_prevention_role_downloads_the_report_in_german(prevention_client, demo_year, tmp_path):
    received, _removed, _cost = _totals(demo_year)
    resp = prevention_client.get(f"/prevention/report.pdf?year={demo_year}&lang=de")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(resp.data)
    _n, body = _pdf_text(tmp_path / "r.pdf")
    assert f"Jahresbericht Graffiti {demo_year}" in body
    assert f"{received:,}".replace(",", ".") in body
    assert prevention_client.get("/prevention/report.pdf?year=1999").status_code == 400
    assert prevention_client.get("/prevention/report.pdf?year=abc").status_code == 400
    assert prevention_client.get("/prevention/report").status_code == 200


def test_a_year_out_of_range_is_refused_on_the_command_line(runner, tmp_path):
    result = runner.invoke(args=["prevention-report", "--year", "1990", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "--year" in result.output and not (tmp_path / "x.pdf").exists()
