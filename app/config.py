"""Settings from the environment, with working local defaults: the one place that reads them.

Every setting is read here, once, with its default; the rest of the code reads `current_app.config["NAME"]`.
An empty variable counts as unset. A value that cannot be used raises ConfigError, one line naming the
setting and what it accepts (wsgi.py turns it into a clean stop). The README's configuration table lists
exactly the settings read here (tests/test_config.py).
"""
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pyproj import CRS
from pyproj.exceptions import CRSError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gis.city import DEFAULT_HOLIDAYS, DEFAULT_TIMEZONE, CityConfigError, check_timezone
from gis.holidays import check_region
from gis.osm_tags import DEFAULT_OWNER_RULES, RuleError, parse_owner_rules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR = PROJECT_ROOT / "var"
DEFAULT_BOUNDARY = Path(__file__).resolve().parent / "data" / "heilbronn" / "city_boundary.geojson"
HEILBRONN_CENTER = "49.1427,9.2109"
HEILBRONN_ATTRIBUTION = (
    "Stadtgrenze: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0"
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LANGUAGES = ["de", "en"]
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE_ALLOWED = f"use N/unit, e.g. 30/hour (units: {', '.join(RATE_UNITS)}), or 0 for no limit"


class ConfigError(ValueError):
    """A setting's value cannot be used; the message names the setting and what it accepts."""

    def __init__(self, name: str, value, allowed: str, *, show_value=True):
        shown = repr(str(value)) if show_value else "(value not shown)"
        super().__init__(f"{name}={shown} cannot be used; {allowed}")
        self.setting = name


def parse_rate(value) -> tuple[int, float] | None:
    """REPORT_RATE_LIMIT: '30/hour' -> (30, 3600.0); empty or '0' -> None (no limit); ConfigError otherwise."""
    text = str(value or "").strip().lower()
    if text in ("", "0", "off", "none"):
        return None
    m = re.fullmatch(r"(\d+)\s*/\s*(second|minute|hour|day)s?", text)
    if not m or int(m.group(1)) < 1:
        raise ConfigError("REPORT_RATE_LIMIT", value, RATE_ALLOWED)
    return int(m.group(1)), float(RATE_UNITS[m.group(2)])


def _metric_srid(text: str) -> int:
    """An EPSG code of a projected CRS in metres (distances, areas and clustering are computed in it)."""
    crs = CRS.from_epsg(int(text))
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise ValueError("not a projected CRS in metres")
    return int(text)


def _position(text: str) -> tuple[float, float]:
    """'lat,lon' in degrees -> (lat, lon)."""
    lat, lon = (float(v) for v in text.split(","))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("out of range")
    return lat, lon


def _depots(text: str) -> tuple[tuple[str, float, float], ...]:
    """'Name=lat,lon; Name=lat,lon' -> ((name, lat, lon), ...): the crews' depots."""
    depots = []
    for part in text.split(";"):
        name, sep, position = part.partition("=")
        if not sep or not name.strip() or len(name.strip()) > 60:
            raise ValueError("not Name=lat,lon")
        depots.append((name.strip(), *_position(position)))
    if len({d[0] for d in depots}) < len(depots):
        raise ValueError("a name twice")
    return tuple(depots)


def _clock(text: str) -> str:
    """'HH:MM' (24 hours)."""
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", text):
        raise ValueError("not HH:MM")
    return text.zfill(5)


def _http_url(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise ValueError("not an http(s) URL")
    return text


def _host_list(text: str) -> list[str]:
    hosts = [h.strip().lower() for h in text.split(",") if h.strip()]
    if not hosts or any(not re.fullmatch(r"\*|\.?[a-z0-9.-]+|\[[0-9a-f:]+\]", h) for h in hosts):
        raise ValueError("use host names separated by commas, e.g. graffiti.example.org,localhost "
                         "(.example.org: also its subdomains; *: any host)")
    return hosts


def _owner_rules(text: str) -> str:
    try:
        parse_owner_rules(text)
    except RuleError as exc:
        raise ValueError(f"{exc}; use comma-separated rules such as building=school|kindergarten:municipal") from exc
    return text


def _rate(text: str) -> str:
    parse_rate(text)
    return text


def _database_url(text: str) -> str:
    try:
        make_url(text)
    except ArgumentError as exc:
        raise ValueError(str(exc)) from exc
    return text


class _Reader:
    """Reads settings from an environment mapping, remembering which names it read."""

    def __init__(self, env):
        self.env = env
        self.names: list[str] = []

    def text(self, name: str, default=""):
        """The raw value, or `default` when the variable is unset or empty."""
        self.names.append(name)
        value = self.env.get(name)
        return default if value is None or value == "" else value

    def parsed(self, name: str, default, parse, allowed: str | None, show_value=True):
        """parse(value) of a set variable (ConfigError saying `allowed`, or else the parser's own message, when
        it fails), else `default`."""
        value = self.text(name, None)
        if value is None:
            return default
        try:
            return parse(value.strip())
        except (ValueError, CRSError, CityConfigError) as exc:
            raise ConfigError(name, value, allowed or str(exc), show_value=show_value) from exc

    def number(self, name: str, default, low=None, high=None, *, whole=False, above=None):
        """An integer (whole) or decimal number from `low` to `high`, or greater than `above`."""
        if low is not None:
            limits = f"from {low} to {high}" if high is not None else f"of at least {low}"
        else:
            limits = " and ".join(x for x in (f"greater than {above}" if above is not None else "",
                                              f"at most {high}" if high is not None else "") if x)
        allowed = f"use {'a whole number' if whole else 'a number'} {limits}"

        def parse(text):
            value = int(text) if whole else float(text)
            if value != value or (low is not None and value < low) or (high is not None and value > high) \
                    or (above is not None and value <= above):
                raise ValueError("out of range")
            return value
        return self.parsed(name, default, parse, allowed.rstrip())

    def choice(self, name: str, default: str, options, normalise=str.lower):
        """One of `options` (compared after `normalise`)."""
        def parse(text):
            if normalise(text) not in options:
                raise ValueError("not an option")
            return normalise(text)
        return self.parsed(name, default, parse, f"use one of {', '.join(options)}")


def _secret_key(key: str, key_file: Path) -> str:
    """SECRET_KEY when set, else the key kept in `key_file` (generated there on first use)."""
    if key:
        return key
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _read(r: _Reader) -> dict:
    """Every setting, in the order of the README's table."""
    var = Path(r.text("VAR_DIR", str(VAR)))
    secret_key, key_file = r.text("SECRET_KEY"), Path(r.text("SECRET_KEY_FILE", str(VAR / "secret_key")))
    boundary_file = r.text("CITY_BOUNDARY_FILE", str(DEFAULT_BOUNDARY))
    is_heilbronn = Path(boundary_file).resolve() == DEFAULT_BOUNDARY
    return {
        "SQLALCHEMY_DATABASE_URI": r.parsed(
            "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/graffiti", _database_url,
            "use a SQLAlchemy URL such as postgresql+psycopg://user:password@host:5432/graffiti",
            show_value=False),  # it may hold a password
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": _secret_key(secret_key, key_file),
        "LOG_LEVEL": r.choice("LOG_LEVEL", "INFO", LOG_LEVELS, normalise=str.upper),
        "PUBLIC_BASE_URL": r.parsed("PUBLIC_BASE_URL", "", _http_url,
                                    "use the service's public address, e.g. https://graffiti.example.org"),
        "TRUSTED_HOSTS": r.parsed("TRUSTED_HOSTS", [], _host_list, None),
        "UPLOAD_DIR": r.text("UPLOAD_DIR", str(var / "uploads")),
        "MAIL_OUTBOX_DIR": r.text("MAIL_OUTBOX_DIR", str(var / "outbox")),
        "SMTP_HOST": r.text("SMTP_HOST", ""),
        "SMTP_PORT": r.number("SMTP_PORT", 25, 1, 65535, whole=True),
        "MAIL_FROM": r.text("MAIL_FROM", "graffiti-meldungen@localhost"),
        "MAX_CONTENT_LENGTH": r.number("MAX_UPLOAD_MB", 40, 1, whole=True) * 1024 * 1024,
        "PHOTO_MAX_MB": r.number("PHOTO_MAX_MB", 15, above=0),
        "CITY_NAME": r.text("CITY_NAME", "Heilbronn"),
        "CITY_SLUG": r.text("CITY_SLUG", "heilbronn"),
        "CITY_BOUNDARY_FILE": boundary_file,
        "CITY_SRID": r.parsed("CITY_SRID", 25832, _metric_srid,
                              "use the EPSG code of a projected CRS in metres, e.g. 25832 (UTM zone 32N)"),
        "CITY_CENTER": r.parsed("CITY_CENTER", _position(HEILBRONN_CENTER) if is_heilbronn else None, _position,
                                "use latitude,longitude in degrees, e.g. 49.1427,9.2109"),
        "CITY_ZOOM": r.number("CITY_ZOOM", 13, 0, 19, whole=True),
        "CITY_ATTRIBUTION": r.text("CITY_ATTRIBUTION", HEILBRONN_ATTRIBUTION if is_heilbronn else ""),
        "CITY_DISTRICTS_FILE": r.text("CITY_DISTRICTS_FILE", ""),
        "CITY_TIMEZONE": r.parsed("CITY_TIMEZONE", DEFAULT_TIMEZONE, check_timezone,
                                  "use an IANA time zone name such as Europe/Berlin"),
        "CITY_HOLIDAYS": r.parsed("CITY_HOLIDAYS", DEFAULT_HOLIDAYS, check_region, None),
        "BABEL_DEFAULT_LOCALE": r.choice("DEFAULT_LOCALE", "de", LANGUAGES),
        "LANGUAGES": LANGUAGES,
        "SESSION_IDLE_MINUTES": r.number("SESSION_IDLE_MINUTES", 60, 1, whole=True),
        "SESSION_MAX_HOURS": r.number("SESSION_MAX_HOURS", 12, 1, 24 * 30, whole=True),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SLA_OFFENSIVE_HOURS": r.number("SLA_OFFENSIVE_HOURS", 24, 0, whole=True),
        "SLA_MUNICIPAL_WORKDAYS": r.number("SLA_MUNICIPAL_WORKDAYS", 3, 0, whole=True),
        "SLA_OTHER_WORKDAYS": r.number("SLA_OTHER_WORKDAYS", 10, 0, whole=True),
        "HOUSEKEEPING_HOURS": r.number("HOUSEKEEPING_HOURS", None, 0),  # None: see complete()
        "REPORT_RATE_LIMIT": r.parsed("REPORT_RATE_LIMIT", "30/hour", _rate, RATE_ALLOWED),
        "PROXY_HOPS": r.number("PROXY_HOPS", 0, 0, whole=True),
        "DEPOT_LOCATION": r.parsed("DEPOT_LOCATION", None, _position,  # None: the city's map centre
                                   "use latitude,longitude in degrees, e.g. 49.1427,9.2109"),
        "DEPOTS": r.parsed("DEPOTS", (), _depots,  # (): one depot at DEPOT_LOCATION
                           "use Name=latitude,longitude separated by ';', e.g. Nord=49.16,9.21;Süd=49.12,9.22"),
        "PLAN_SHIFT_START": r.parsed("PLAN_SHIFT_START", "07:00", _clock, "use HH:MM, e.g. 07:00"),
        "PLAN_SHIFT_HOURS": r.number("PLAN_SHIFT_HOURS", 8.0, high=24, above=0),
        "CREW_SPEED_KMH": r.number("CREW_SPEED_KMH", 20.0, above=0),
        "ROUTE_DETOUR": r.number("ROUTE_DETOUR", 1.3, 1),
        "AORISTIC_MAX_DAYS": r.number("AORISTIC_MAX_DAYS", 14.0, high=3660, above=0),
        "OPEN311_JURISDICTION_ID": r.text("OPEN311_JURISDICTION_ID", ""),
        "OPEN311_AGENCY": r.text("OPEN311_AGENCY", None),  # None: see complete()
        "OPEN311_CONTACT": r.text("OPEN311_CONTACT", None),
        "OPEN311_KEY_SERVICE": r.text("OPEN311_KEY_SERVICE", ""),  # empty: a translated sentence
        "OSM_OWNER_RULES": r.parsed("OSM_OWNER_RULES", DEFAULT_OWNER_RULES, _owner_rules, None),
    }


def from_env(env=None) -> dict:
    """The Flask configuration mapping from environment variables (ConfigError for unusable values)."""
    return _read(_Reader(os.environ if env is None else env))


def setting_names() -> list[str]:
    """The names of all environment variables from_env reads."""
    reader = _Reader({"SECRET_KEY": "-"})
    _read(reader)
    return reader.names


LOCAL_HOSTS = ["localhost", "127.0.0.1"]


def trusted_hosts(hosts, public_base_url: str) -> list[str] | None:
    """Flask's TRUSTED_HOSTS: the hosts set (None for `*`: any), else the public address's host and the local
    ones. A request for another host is refused with 400, so no link can be built from a forged Host header."""
    if hosts is None or hosts == ["*"]:
        return None
    if hosts:
        return list(hosts)
    public = urlsplit(public_base_url).hostname if public_base_url else None
    return ([public] if public else []) + LOCAL_HOSTS


def complete(config) -> None:
    """Fill the defaults that depend on other settings, after the app's overrides are applied."""
    if config.get("HOUSEKEEPING_HOURS") is None:
        config["HOUSEKEEPING_HOURS"] = 0 if config.get("TESTING") else 24
    # a login and its CSRF tokens last no longer than SESSION_MAX_HOURS (user_sessions ends it earlier when idle)
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_MAX_HOURS"])
    config["WTF_CSRF_TIME_LIMIT"] = config["SESSION_MAX_HOURS"] * 3600
    config["TRUSTED_HOSTS"] = trusted_hosts(config.get("TRUSTED_HOSTS"), config["PUBLIC_BASE_URL"])
    city = config["CITY_NAME"]
    if config.get("OPEN311_AGENCY") is None:
        config["OPEN311_AGENCY"] = f"Stadt {city}"
    if config.get("OPEN311_CONTACT") is None:
        config["OPEN311_CONTACT"] = f"Stadt {city}, Gebäudemanagement"
