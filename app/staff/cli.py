"""Staff command line: `flask import-buildings` and `flask import-reports`."""
import sys
from pathlib import Path

import click

from app.extensions import db
from app.models import CATEGORIES, OWNER_TYPES


def _progress_run(label, total, fn):
    with click.progressbar(length=total, label=label, file=sys.stderr,
                           show_pos=True) as bar:
        return fn(lambda n=1: bar.update(n))


def _count_features(path: Path, layer=None) -> int:
    from app.services.staff.importers import read_features

    if path.suffix.lower() in (".geojson", ".json", ".gpkg"):
        return sum(1 for _ in read_features(path, layer))
    with path.open(encoding="utf-8-sig") as f:
        return max(sum(1 for _ in f) - 1, 0)


def _finish(result, rejects_path, label, warnings_path=None):
    """Commit, say what happened and write the rejects (and warnings) file: always, so that an old one never
    outlives its run."""
    from app.services.staff.importers import write_rejects

    db.session.commit()
    click.echo(result.summary())
    write_rejects(rejects_path, result.rejected, label)
    click.echo(f"rejected {label}s with their reasons ({len(result.rejected)}): {rejects_path}")
    if warnings_path is not None:
        write_rejects(warnings_path, result.warnings, label, "warning")
        click.echo(f"{label}s imported with a warning ({len(result.warnings)}): {warnings_path}")
    if result.rejected:
        for n, reason in result.rejected[:10]:
            click.echo(f"  {label} {n}: {reason}", err=True)
        if len(result.rejected) > 10:
            click.echo(f"  ... and {len(result.rejected) - 10} more", err=True)


@click.command("import-buildings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id-field", default="id", show_default=True, help="Attribute with the external id (re-import key).")
@click.option("--address-field", default="address", show_default=True)
@click.option("--name-field", default="name", show_default=True)
@click.option("--owner-field", default="owner_type", show_default=True, help="Attribute with the owner.")
@click.option("--owner-map", default="", help="Owner values to owner types, e.g. 'Stadt=municipal,Land=public'.")
@click.option("--default-owner", type=click.Choice(OWNER_TYPES), default="private", show_default=True)
@click.option("--department-field", default="department", show_default=True)
@click.option("--usage-field", default=None)
@click.option("--crs", default=4326, show_default=True, help="EPSG code of the file's coordinates.")
@click.option("--layer", default=None, help="GeoPackage layer (default: the first).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to list rejected features (default: FILE.rejects.csv).")
def import_buildings_command(file, id_field, address_field, name_field, owner_field, owner_map, default_owner,
                             department_field, usage_field, crs, layer, rejects):
    """Import the building registry (GeoJSON or GeoPackage); re-imports update by external id."""
    from app.services.staff.importers import BuildingMapping, ImportError_, import_buildings, parse_value_map

    try:
        mapping = BuildingMapping(id_field=id_field, address_field=address_field or None,
                                  name_field=name_field or None, owner_field=owner_field or None,
                                  department_field=department_field or None, usage_field=usage_field or None,
                                  owner_values=parse_value_map(owner_map, OWNER_TYPES), default_owner=default_owner,
                                  crs=int(crs), layer=layer)
        total = _count_features(file, layer)
        result = _progress_run("buildings", total, lambda p: import_buildings(file, mapping, progress=p))
    except ImportError_ as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    _finish(result, rejects or file.with_name(file.name + ".rejects.csv"), "feature")


@click.command("import-reports")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id-col", default="id", show_default=True, help="Column with the external id (re-import key).")
@click.option("--lat-col", default="lat", show_default=True)
@click.option("--lon-col", default="lon", show_default=True)
@click.option("--x-col", default=None, help="Projected x column (use with --y-col and --crs).")
@click.option("--y-col", default=None)
@click.option("--crs", default=4326, show_default=True, help="EPSG code of the coordinates, e.g. 2263.")
@click.option("--created-col", default="created", show_default=True)
@click.option("--closed-col", default="closed", show_default=True)
@click.option("--date-format", default=None, help="strptime format, e.g. '%d.%m.%Y %H:%M' (default ISO 8601).")
@click.option("--timezone", "tz", default=None,
              help="For dates without a zone, e.g. Europe/Berlin (default: the city's, CITY_TIMEZONE).")
@click.option("--status-col", default="status", show_default=True)
@click.option("--status-map", default="", help="Old statuses to ours, e.g. 'Offen=new,Erledigt=closed'.")
@click.option("--address-col", default="address", show_default=True)
@click.option("--category-col", default=None)
@click.option("--category-map", default="", help="Old categories to ours, e.g. 'Schmiererei=graffiti'.")
@click.option("--default-category", type=click.Choice(CATEGORIES), default="graffiti", show_default=True)
@click.option("--description-col", default=None)
@click.option("--delimiter", default=",", show_default=True)
@click.option("--closed-is-removal/--closed-is-not-removal", default=True, show_default=True,
              help="Whether a closed date means the graffiti was removed then (for the statistics).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to list skipped rows (default: FILE.rejects.csv).")
@click.option("--warnings", "warnings_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to list rows imported with a warning, e.g. closed without a date (default: "
                   "FILE.warnings.csv).")
def import_reports_command(file, id_col, lat_col, lon_col, x_col, y_col, crs, created_col, closed_col,
                           date_format, tz, status_col, status_map, address_col, category_col, category_map,
                           default_category, description_col, delimiter, closed_is_removal, rejects, warnings_file):
    """Import historical reports (CSV or GeoJSON); re-imports update by external id. A CSV column is named by
    its header or chosen by position ('#1' is the first; '' is the one column without a header)."""
    from app.models import STATUSES
    from app.services.staff.importers import ImportError_, ReportMapping, import_reports, parse_value_map

    if bool(x_col) != bool(y_col):
        raise click.UsageError("--x-col and --y-col go together")
    try:
        mapping = ReportMapping(
            id_col=id_col, lat_col=lat_col, lon_col=lon_col, x_col=x_col, y_col=y_col, crs=int(crs),
            created_col=created_col, closed_col=closed_col or None, date_format=date_format, timezone=tz,
            status_col=status_col or None, status_values=parse_value_map(status_map, STATUSES, "--status-map"),
            address_col=address_col or None, category_col=category_col,
            category_values=parse_value_map(category_map, CATEGORIES, "--category-map"),
            default_category=default_category, description_col=description_col,
            closed_is_removal=closed_is_removal, delimiter=delimiter)
        total = _count_features(file)
        result = _progress_run("reports", total, lambda p: import_reports(file, mapping, progress=p))
    except ImportError_ as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    _finish(result, rejects or file.with_name(file.name + ".rejects.csv"), "line",
            warnings_file or file.with_name(file.name + ".warnings.csv"))


@click.command("import-osm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to list rejected elements (default: FILE.rejects.csv).")
def import_osm_command(file, rejects):
    """Import buildings, streets (the crews' street network) and places from OpenStreetMap (.osm, .osm.bz2,
    .osm.pbf); re-imports update by OSM id."""
    from app.services.staff.importers import ImportError_
    from app.services.staff.importers.osm import element_count, import_osm, read_file

    try:
        click.echo(f"reading {file.name} ...", err=True)
        data = read_file(file)
        result = _progress_run("elements", element_count(data), lambda p: import_osm(data, file.name, progress=p))
    except ImportError_ as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    _finish(result, rejects or file.with_name(file.name + ".rejects.csv"), "element")


def register(app):
    """Add the staff commands to the app's CLI."""
    app.cli.add_command(import_buildings_command)
    app.cli.add_command(import_reports_command)
    app.cli.add_command(import_osm_command)
