"""Settings from the environment, with working local defaults."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR = PROJECT_ROOT / "var"
DEFAULT_BOUNDARY = Path(__file__).resolve().parent / "data" / "heilbronn" / "city_boundary.geojson"
HEILBRONN_ATTRIBUTION = (
    "Stadtgrenze: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0"
)


def _secret_key(env) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    path = Path(env.get("SECRET_KEY_FILE", VAR / "secret_key"))
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _center(value: str | None):
    if not value:
        return None
    lat, lon = (float(v) for v in value.split(","))
    return (lat, lon)


def from_env(env=None) -> dict:
    """Build the Flask configuration mapping from environment variables."""
    env = os.environ if env is None else env
    var = Path(env.get("VAR_DIR", VAR))
    boundary_file = env.get("CITY_BOUNDARY_FILE", str(DEFAULT_BOUNDARY))
    is_heilbronn = Path(boundary_file).resolve() == DEFAULT_BOUNDARY
    return {
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/graffiti"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": _secret_key(env),
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(var / "uploads")),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR", str(var / "outbox")),
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "MAIL_FROM": env.get("MAIL_FROM", "graffiti-meldungen@localhost"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "40")) * 1024 * 1024,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", ""),
        "CITY_NAME": env.get("CITY_NAME", "Heilbronn"),
        "CITY_SLUG": env.get("CITY_SLUG", "heilbronn"),
        "CITY_SRID": int(env.get("CITY_SRID", "25832")),
        "CITY_BOUNDARY_FILE": boundary_file,
        "CITY_CENTER": _center(env.get("CITY_CENTER", "49.1427,9.2109" if is_heilbronn else "")),
        "CITY_ZOOM": int(env.get("CITY_ZOOM", "13")),
        "CITY_ATTRIBUTION": env.get(
            "CITY_ATTRIBUTION", HEILBRONN_ATTRIBUTION if is_heilbronn else ""
        ),
        "CITY_DISTRICTS_FILE": env.get("CITY_DISTRICTS_FILE", ""),
        "CITY_TIMEZONE": env.get("CITY_TIMEZONE", "Europe/Berlin"),
        "CITY_HOLIDAYS": env.get("CITY_HOLIDAYS", "BW"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "de"),
        "LANGUAGES": ["de", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        "OPEN311_JURISDICTION_ID": env.get("OPEN311_JURISDICTION_ID", ""),
        "REPORT_RATE_LIMIT": env.get("REPORT_RATE_LIMIT", "30/hour"),
        "PROXY_HOPS": int(env.get("PROXY_HOPS", "0")),
        **({"HOUSEKEEPING_HOURS": float(env["HOUSEKEEPING_HOURS"])} if env.get("HOUSEKEEPING_HOURS") else {}),
        "SLA_OFFENSIVE_HOURS": int(env.get("SLA_OFFENSIVE_HOURS", "24")),
        "SLA_MUNICIPAL_WORKDAYS": int(env.get("SLA_MUNICIPAL_WORKDAYS", "3")),
        "SLA_OTHER_WORKDAYS": int(env.get("SLA_OTHER_WORKDAYS", "10")),
    }
