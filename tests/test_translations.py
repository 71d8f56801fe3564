"""English catalogs: complete for every area's texts, nothing left over, one translation per German text.

The catalogs of all areas are merged into one at run time, so a German text may mean one thing only.
"""
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted((ROOT / "app/translations").glob("*/en/LC_MESSAGES/messages.po"))
# Which catalog holds a file's texts; everything else (layout, login, errors, workflow, labels) is "core",
# whose catalog serves every area.
AREAS = (
    ("open311", ("app/services/citizen/open311", "app/open311/", "app/api/openapi_open311.py")),
    ("citizen", ("app/services/citizen/", "app/public/", "app/api/reports.py", "app/templates/public/",
                 "app/ratelimit.py")),
    ("staff", ("app/services/staff/", "app/staff/", "app/api/staff.py", "app/templates/staff/")),
    ("police", ("app/services/police/", "app/police/", "app/api/hotspots.py", "app/templates/police/")),
    ("prevention", ("app/services/prevention/", "app/prevention/", "app/templates/prevention/")),
)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_l": None,
            "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}


def area_of(path: str) -> str:
    """The area whose catalog translates the texts of `path` (relative to the project)."""
    return next((area for area, prefixes in AREAS if path.startswith(prefixes)), "core")


def texts_by_area() -> dict:
    """area -> {(context, German text): first place it is used}, from every Python file and template in app/."""
    found: dict = {}
    for path in sorted((ROOT / "app").rglob("*")):
        if path.suffix not in (".py", ".html"):
            continue
        rel = str(path.relative_to(ROOT))
        method, options = ("python", {}) if path.suffix == ".py" else ("jinja2", {"extensions": "jinja2.ext.i18n"})
        for lineno, msgid, _comments, context in extract_from_file(method, str(path), keywords=KEYWORDS,
                                                                    options=options):
            key = (context, msgid[0] if isinstance(msgid, tuple) else msgid)
            found.setdefault(area_of(rel), {}).setdefault(key, f"{rel}:{lineno}")
    return found


def entry(message) -> tuple[tuple, str]:
    """(context, German text) and the English text of a catalog entry; for plural forms (ngettext) the German
    singular, and the English forms joined by "|" (empty when one is missing)."""
    if isinstance(message.id, tuple | list):
        forms = [str(s) for s in message.string]
        return (message.context, str(message.id[0])), "|".join(forms) if all(forms) else ""
    return (message.context, str(message.id)), str(message.string)


def catalog(area: str) -> dict:
    """(context, German text) -> English text of one area's catalog."""
    with open(ROOT / f"app/translations/{area}/en/LC_MESSAGES/messages.po", "rb") as f:
        return dict(entry(m) for m in read_po(f) if m.id)


def test_every_text_has_an_english_translation_in_its_areas_catalog():
    used = texts_by_area()
    core = catalog("core")
    missing = [(where, key) for area, texts in used.items() for key, where in texts.items()
               if not {**core, **catalog(area)}.get(key)]
    assert {"staff", "police", "open311", "citizen", "core"} <= set(used) and sum(map(len, used.values())) > 500
    assert not missing, f"add English translations: {missing}"


def test_no_catalog_keeps_a_text_that_nothing_uses():
    used = texts_by_area()
    everywhere = set().union(*used.values())
    unused = [(area, key) for area in ("core", *(a for a, _ in AREAS)) for key in catalog(area)
              if key not in (everywhere if area == "core" else used.get(area, {}))]
    assert not unused, f"remove these catalog entries (or use the text in its area): {unused}"


def test_no_text_is_translated_differently_in_two_areas():
    seen: dict = {}
    for po in CATALOGS:
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id:
                    key, text = entry(message)
                    seen.setdefault(key, {})[po.parts[-5]] = text
    assert len(CATALOGS) >= 5 and len(seen) > 400
    clashes = {key: areas for key, areas in seen.items() if len(set(areas.values())) > 1}
    assert not clashes, f"give these texts a message context (pgettext) or one translation: {clashes}"


def test_one_building_and_a_count_of_buildings_are_translated_apart(app):
    with app.test_request_context("/?lang=en"):
        from flask_babel import force_locale, gettext, pgettext

        with force_locale("en"):
            assert (gettext("Gebäude"), pgettext("count", "Gebäude")) == ("Building", "Buildings")
    page = app.test_client().get("/melden?lang=en").get_data(as_text=True)
    assert '"building": "Building"' in page


def test_http_errors_without_a_message_of_their_own_speak_the_users_language(client):
    for lang, not_found, not_here in (("de", "Diese Seite gibt es nicht.", "Diese Aktion ist hier nicht möglich."),
                                      ("en", "This page does not exist.", "This action is not possible here.")):
        page = client.get("/media/nothing-here.jpg", headers={"Accept-Language": lang})
        assert page.status_code == 404 and not_found in page.get_data(as_text=True)
        api = client.get("/api/v1/no-such-endpoint", headers={"Accept-Language": lang})
        assert api.status_code == 404 and api.get_json()["errors"][0]["message"] == not_found
        wrong_method = client.delete("/melden", headers={"Accept-Language": lang})
        assert wrong_method.status_code == 405 and not_here in wrong_method.get_data(as_text=True)
