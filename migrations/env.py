"""Alembic environment (Flask-Migrate) with GeoAlchemy2's helpers for spatial columns."""
import logging
import sys
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

config = context.config
sys.path.insert(0, str(Path(__file__).resolve().parent))  # migrations/dataloss.py for the revisions' downgrades
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Ignore PostGIS's own tables (spatial_ref_sys, topology ...) and let GeoAlchemy2 filter the rest."""
    if type_ == "table" and reflected and compare_to is None and name not in target_metadata.tables:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _configure(**kwargs):
    context.configure(
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline():
    _configure(url=str(db.engine.url).replace("%", "%%"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = config.attributes.get("connection")
    if connectable is not None:  # a connection handed in by tests
        _configure(connection=connectable)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
