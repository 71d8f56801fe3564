"""Flask CLI commands: city sync, users, demo data."""
import sys

import click
from flask import current_app

from app.extensions import db
from app.models import ROLES


def init_app(app):
    """Register the commands."""
    app.cli.add_command(sync_city_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    from app.staff.cli import register as register_staff_commands

    register_staff_commands(app)
    from app.prevention.cli import register as register_prevention_commands

    register_prevention_commands(app)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(revoke_api_key_command)
    app.cli.add_command(list_api_keys_command)
    app.cli.add_command(sweep_photos_command)


@click.command("sync-city")
def sync_city_command():
    """Write the configured city (boundary, CRS, districts) into the database; refuse another city's database."""
    from app.city import OtherCityError
    from app.services.core.city_setup import sync_city_and_districts

    try:
        row, n = sync_city_and_districts()
    except OtherCityError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"city {row.name} (EPSG:{row.srid}) synced with {n} districts")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", "display_name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_user_command(email, role, display_name, password_stdin):
    """Create a user (or reset its password and role). The password is never taken from the command line."""
    from app.services.core.accounts import AccountError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"user {user.email} ({user.role}) saved")


@click.command("seed-demo")
@click.option("--reports", default=5000, show_default=True, help="Number of reports over two years.")
@click.option("--seed", default=20261126, show_default=True, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has reports.")
def seed_demo_command(reports, seed, if_empty):
    """Fill the database with a deterministic demo city: buildings, two years of reports, users."""
    from app.services.core.demo import database_is_empty, seed_demo

    if if_empty and not database_is_empty():
        click.echo("database already has data; not seeding")
        return
    summary = seed_demo(n_reports=reports, seed=seed, progress=lambda m: click.echo(m, err=True))
    db.session.commit()
    click.echo(f"demo data: {summary}")
    if current_app.debug:
        click.echo("demo users: staff@example.org, police@example.org, admin@example.org")


@click.command("create-api-key")
@click.argument("name")
def create_api_key_command(name):
    """Create an Open311 API key for client NAME; the key is shown once and stored only as a hash."""
    from app.services.core.apikeys import create_api_key

    try:
        row, plain = create_api_key(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"API key for {row.name} (prefix {row.prefix}); store it now, it is not shown again:")
    click.echo(plain)


@click.command("revoke-api-key")
@click.argument("name_or_prefix")
def revoke_api_key_command(name_or_prefix):
    """Revoke the Open311 API keys with this client name or key prefix."""
    from app.services.core.apikeys import revoke_api_keys

    n = revoke_api_keys(name_or_prefix)
    db.session.commit()
    if not n:
        raise click.ClickException(f"no active key named or prefixed {name_or_prefix!r}")
    click.echo(f"{n} key(s) revoked")


@click.command("list-api-keys")
def list_api_keys_command():
    """List Open311 API keys (name, prefix, created, revoked)."""
    from app.services.core.apikeys import list_api_keys

    for row in list_api_keys():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.prefix}  {row.name}  created {row.created_at:%Y-%m-%d}  {state}")


@click.command("sweep-photos")
@click.option("--grace-minutes", default=60, show_default=True, type=click.IntRange(min=0),
              help="Leave files younger than this (a request may still be storing them).")
def sweep_photos_command(grace_minutes):
    """Bring the photo files in line with the rows: link files of committed rows, remove files no row needs."""
    from app.services.citizen.photo_files import sweep_photos

    result = sweep_photos(grace_minutes * 60)
    db.session.commit()
    click.echo(f"{len(result.linked)} files linked for committed rows, {len(result.removed_pending)} unneeded "
               f"temporary files and {len(result.removed_published)} files no row references removed")
