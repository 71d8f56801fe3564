"""Prevention command line: `flask prevention-report --year 2026 --out report.pdf [--lang en]`."""
import time
from pathlib import Path

import click


@click.command("prevention-report")
@click.option("--year", type=int, required=True, help="The calendar year (the previous one is the comparison).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF file.")
@click.option("--lang", type=click.Choice(["de", "en"]), default=None, help="Language (default DEFAULT_LOCALE).")
def prevention_report_command(year, out, lang):
    """Write the yearly report of the municipal crime prevention on graffiti as a PDF, saying what it does."""
    from flask import current_app

    from app.services.prevention import report

    if report.valid_year(year) is None:
        raise click.BadParameter(f"use a year from {report.FIRST_YEAR} to this year", param_hint="--year")
    started = time.monotonic()

    def progress(step):
        click.echo(f"[{time.monotonic() - started:5.1f} s] {step}", err=True)

    pdf = report.render_pdf(year, lang or current_app.config["BABEL_DEFAULT_LOCALE"], progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    click.echo(f"{out}: {len(pdf) // 1024} KiB, yearly report {year}")


def register(app) -> None:
    """Add the prevention commands to `app`'s CLI."""
    app.cli.add_command(prevention_report_command)
