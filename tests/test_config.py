"""Configuration: read in one place (app/config.py), documented in the README, unusable values stop the service."""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, complete, from_env, setting_names

ROOT = Path(__file__).resolve().parent.parent


def readme_tables() -> list[set[str]]:
    """The variables named in the first column of each table of the README's section 'Configuration'."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    tables, current = [], None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = set()
            tables.append(current)
        current.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return tables


def tooling_variables() -> set[str]:
    """Environment variables read by the Makefile, the set-up scripts and the tests (not by the service)."""
    make = (ROOT / "Makefile").read_text()
    assigned = set(re.findall(r"^(?:export )?([A-Z_]+)\s*[:?]?=", make, re.M))
    names = set(re.findall(r"^([A-Z_]+)\s*\?=", make, re.M))
    names |= {n for n in re.findall(r"\$\(([A-Z_]+)\)", make) if n not in assigned}
    for text in [make, *(p.read_text() for p in (ROOT / "scripts").glob("*.sh"))]:
        names |= set(re.findall(r"\$\$?\{([A-Z_][A-Z0-9_]*):-[^}]", text))  # ${NAME:-default}
    for path in (ROOT / "tests").rglob("*.py"):
        names |= set(re.findall(r"os\.environ\.get\(\"([A-Z_][A-Z0-9_]*)\"", path.read_text()))
    return names


def test_every_setting_has_a_row_in_the_readme_and_every_row_is_a_setting():
    service, tooling = readme_tables()
    read = set(setting_names())
    assert not read - service, f"settings read in app/config.py without a README row: {sorted(read - service)}"
    assert not service - read, f"README rows that app/config.py does not read: {sorted(service - read)}"
    found = tooling_variables()
    assert not found - tooling, f"variables of make/scripts/tests without a README row: {sorted(found - tooling)}"
    assert not tooling - found, f"README rows nothing reads: {sorted(tooling - found)}"


def _python_files():
    for folder in ("app", "gis"):
        for path in (ROOT / folder).rglob("*.py"):
            if path != ROOT / "app" / "config.py":
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_only_app_config_reads_the_environment_and_nobody_repeats_a_default():
    keys = set(from_env({"SECRET_KEY": "-"}))
    offences = []
    for path, tree in _python_files():
        for node in ast.walk(tree):
            name = path.relative_to(ROOT)
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "getenvb"):
                offences.append(f"{name}:{node.lineno} reads the environment")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and "config" in ast.unparse(node.func.value)):
                key = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                if len(node.args) > 1 or key in keys:
                    offences.append(f"{name}:{node.lineno} {ast.unparse(node)}: use config[{key!r}]")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("name,value,allowed", [
    ("DATABASE_URL", "postgres:secret@nowhere", "SQLAlchemy URL"),
    ("LOG_LEVEL", "loud", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("PUBLIC_BASE_URL", "graffiti.example.org", "https://"),
    ("SMTP_PORT", "smtp", "whole number from 1 to 65535"),
    ("SMTP_PORT", "0", "whole number from 1 to 65535"),
    ("MAX_UPLOAD_MB", "1.5", "whole number of at least 1"),
    ("PHOTO_MAX_MB", "0", "number greater than 0"),
    ("CITY_SRID", "4326", "projected CRS in metres"),
    ("CITY_SRID", "999999", "projected CRS in metres"),
    ("CITY_CENTER", "49.1", "latitude,longitude"),
    ("CITY_CENTER", "91,9", "latitude,longitude"),
    ("CITY_ZOOM", "25", "whole number from 0 to 19"),
    ("CITY_TIMEZONE", "Mars/Olympus_Mons", "IANA time zone"),
    ("CITY_HOLIDAYS", "Bavaria", "DE-BW, US-NY, AT-9"),
    ("CITY_HOLIDAYS", "US-XX", "unknown subdivision 'XX' of US; use one of AK, AL"),
    ("OSM_OWNER_RULES", "building=school:city", "is not KEY=VALUE|VALUE:municipal|public|private"),
    ("DEFAULT_LOCALE", "fr", "de, en"),
    ("SLA_MUNICIPAL_WORKDAYS", "-1", "whole number of at least 0"),
    ("HOUSEKEEPING_HOURS", "daily", "number of at least 0"),
    ("REPORT_RATE_LIMIT", "lots", "30/hour"),
    ("PROXY_HOPS", "yes", "whole number of at least 0"),
    ("DEPOT_LOCATION", "Depot Nord", "latitude,longitude"),
    ("DEPOTS", "Nord 49.16,9.21", "Name=latitude,longitude"),
    ("DEPOTS", "Nord=49.16,9.21;Nord=49.12,9.22", "Name=latitude,longitude"),
    ("PLAN_SHIFT_START", "7 Uhr", "HH:MM"),
    ("PLAN_SHIFT_HOURS", "25", "greater than 0 and at most 24"),
    ("CREW_SPEED_KMH", "nan", "greater than 0"),
    ("ROUTE_DETOUR", "0.9", "at least 1"),
])
def test_an_unusable_value_is_named_with_what_is_allowed(name, value, allowed):
    with pytest.raises(ConfigError) as caught:
        from_env({"SECRET_KEY": "-", name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}=") and allowed in message and "\n" not in message
    if name == "DATABASE_URL":
        assert "secret" not in message  # a database URL is never echoed: it may hold a password


def test_values_are_parsed_and_empty_counts_as_unset():
    config = from_env({"SECRET_KEY": "-", "CITY_SRID": "31467", "CITY_HOLIDAYS": " ni ", "LOG_LEVEL": "warning",
                       "PHOTO_MAX_MB": "7.5", "DEPOT_LOCATION": "49.15, 9.2", "SMTP_PORT": "", "CITY_ZOOM": ""})
    assert (config["CITY_SRID"], config["CITY_HOLIDAYS"], config["LOG_LEVEL"]) == (31467, "DE-NI", "WARNING")
    assert (config["PHOTO_MAX_MB"], config["DEPOT_LOCATION"]) == (7.5, (49.15, 9.2))
    assert (config["SMTP_PORT"], config["CITY_ZOOM"]) == (25, 13)


def test_defaults_that_depend_on_other_settings():
    config = from_env({"SECRET_KEY": "-", "CITY_NAME": "Neckarsulm"})
    complete(config)
    assert config["HOUSEKEEPING_HOURS"] == 24 and config["OPEN311_AGENCY"] == "Stadt Neckarsulm"
    assert config["OPEN311_CONTACT"] == "Stadt Neckarsulm, Gebäudemanagement"
    testing = {**from_env({"SECRET_KEY": "-", "HOUSEKEEPING_HOURS": ""}), "TESTING": True}
    complete(testing)
    assert testing["HOUSEKEEPING_HOURS"] == 0
    explicit = from_env({"SECRET_KEY": "-", "HOUSEKEEPING_HOURS": "0.5", "OPEN311_AGENCY": "Amt 65"})
    complete(explicit)
    assert (explicit["HOUSEKEEPING_HOURS"], explicit["OPEN311_AGENCY"]) == (0.5, "Amt 65")


def test_settings_from_the_environment_reach_the_code_that_uses_them(monkeypatch, tmp_path):
    for name, value in {"PHOTO_MAX_MB": "0.5", "DEPOT_LOCATION": "49.16,9.19", "PLAN_SHIFT_HOURS": "6",
                        "CREW_SPEED_KMH": "15", "ROUTE_DETOUR": "1.5", "PUBLIC_BASE_URL": "https://g.example.org/",
                        "OPEN311_AGENCY": "Amt 65", "SECRET_KEY": "-", "VAR_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True})
    from app.services.citizen.notifications import status_link
    from app.services.citizen.validation import max_photo_bytes
    from app.services.staff.planning import settings

    with app.app_context():
        assert max_photo_bytes() == 512 * 1024
        plan = settings()
        assert (plan.depot, plan.shift_hours, plan.speed_kmh, plan.detour) == ((49.16, 9.19), 6.0, 15.0, 1.5)
        assert status_link("abc") == "https://g.example.org/r/abc"
        assert app.config["OPEN311_AGENCY"] == "Amt 65"
        assert app.config["UPLOAD_DIR"] == str(tmp_path / "uploads")


def test_the_service_stops_with_one_line_naming_the_setting():
    env = {**os.environ, "SECRET_KEY": "-", "CITY_HOLIDAYS": "Bavaria"}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 4  # gunicorn: "App failed to load", the arbiter stops
    assert done.stderr.strip().splitlines() == [
        "configuration error: CITY_HOLIDAYS='Bavaria' cannot be used; unknown country 'BAVARIA'; use an ISO "
        "country code known to the holidays package with an optional subdivision (e.g. DE-BW, US-NY, AT-9 or a "
        "country alone such as DE)"]


def test_default_locale_is_the_language_of_browsers_that_name_none(app):
    english = create_app({**from_env({"SECRET_KEY": "-", "DEFAULT_LOCALE": "en"}), "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert '<html lang="en">' in english.test_client().get("/melden").get_data(as_text=True)
    assert '<html lang="de">' in app.test_client().get("/melden").get_data(as_text=True)
    asking = english.test_client().get("/melden", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in asking.get_data(as_text=True)
