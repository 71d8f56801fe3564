"""Health information about the database."""
from sqlalchemy import text

from app.extensions import db


def database_versions() -> dict:
    """PostgreSQL and PostGIS versions of the connected database, and the migration revision."""
    row = db.session.execute(text(
        "SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis, "
        "(SELECT version_num FROM alembic_version LIMIT 1) AS rev"
    )).one()
    return {"database": "ok", "postgresql": row.pg, "postgis": row.postgis, "migration": row.rev}
