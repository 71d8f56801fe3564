"""One wording per code: app/labels.py names every code once, and nothing else names codes.

A second table of names for the same codes is how "Kratzer / Ätzung", "Kratzer/Ritzungen" and
"Kratzer/Ritzung" came about; these tests fail on such a table in Python, templates or JavaScript, and on
any page, e-mail or Open311 answer that shows a code under another name than app/labels.py's.
"""
import ast
import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app import labels, models
from app.extensions import db
from app.services.citizen.open311 import SURFACES
from gis import compass

ROOT = Path(__file__).resolve().parents[1]
CODE_LISTS = {
    "status": set(models.STATUSES), "category": set(models.CATEGORIES), "owner type": set(models.OWNER_TYPES),
    "removal method": set(models.REMOVAL_METHODS), "surface": set(SURFACES), "role": set(models.ROLES),
    "source": set(models.SOURCES), "grid shape": {"hex", "square"},
    "measure kind": set(models.MEASURE_KINDS), "measure status": set(models.MEASURE_STATUSES),
}
TEXT_CALLS = {"_", "_l", "gettext", "lazy_gettext", "pgettext", "lazy_pgettext"}
# Code-keyed texts that are not names, with the reason.
NOT_NAMES = {("app/services/citizen/open311.py", "status_notes"): "Open311 status_notes: a sentence per status"}


def test_every_code_has_exactly_one_name():
    assert list(labels.STATUS) == list(models.STATUSES)
    assert set(labels.ACTION) == set(models.STATUSES)
    assert list(labels.CATEGORY) == list(models.CATEGORIES)
    assert list(labels.OWNER_TYPE) == list(models.OWNER_TYPES)
    assert list(labels.REMOVAL_METHOD) == list(models.REMOVAL_METHODS)
    assert list(labels.SURFACE) == list(SURFACES)
    assert set(labels.PRIORITY) == {1, 2, 3, 4}
    assert set(labels.HOTSPOT_CLASS) == {-3, -2, -1, 1, 2, 3} and set(labels.HOTSPOT_CLASS_CODE) == set(range(-3, 4))
    assert set(labels.GRID_SHAPE) == {"hex", "square"} and list(labels.WEEKDAY) == list(range(1, 8))
    assert list(labels.MEASURE_KIND) == list(models.MEASURE_KINDS)
    assert list(labels.MEASURE_STATUS) == list(models.MEASURE_STATUSES)
    assert list(labels.COMPASS) == list(compass.POINTS)
    assert set(labels.DISPLACEMENT) == {"no_success", "none", "diffusion", "diffusion_more", "displacement",
                                        "displacement_more"}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_no_two_codes_of_a_table_share_a_name(app, lang):
    with app.test_request_context(), force_locale(lang):
        for name, table in labels.FILTERS.items():
            shown = labels.names(table)
            assert len(set(shown.values())) == len(shown), (name, shown)
        if lang == "en":
            assert labels.status_label("scheduled") == "Removal scheduled"
            assert labels.category_label("scratching") == "Scratching / etching"


def test_every_name_has_an_english_translation_in_the_core_catalog(app):
    with open(ROOT / "app/translations/core/en/LC_MESSAGES/messages.po", "rb") as f:
        english = {m.id for m in read_po(f) if m.id and m.string}
    with app.test_request_context(), force_locale("de"):
        missing = [(name, code) for name, table in labels.FILTERS.items()
                   for code, german in labels.names(table).items() if german not in english]
    assert not missing


def _code_table(node) -> str | None:
    """The code list whose codes are all the keys of this dict (or list of pairs) of gettext texts, if any."""
    if isinstance(node, ast.Dict):
        pairs = list(zip(node.keys, node.values, strict=True))
    elif isinstance(node, (ast.List, ast.Tuple)) and node.elts and all(
            isinstance(e, ast.Tuple) and len(e.elts) == 2 for e in node.elts):
        pairs = [tuple(e.elts) for e in node.elts]
    else:
        return None
    try:
        keys = [ast.literal_eval(k) for k, _ in pairs]  # -1 is an expression, not a constant
    except (ValueError, TypeError, SyntaxError):
        return None
    if len(keys) < 2 or not all(isinstance(k, (int, str)) for k in keys):
        return None
    if not all(isinstance(v, ast.Call) and getattr(v.func, "id", None) in TEXT_CALLS for _, v in pairs):
        return None
    if all(isinstance(k, int) for k in keys) and len(keys) >= 5 and set(keys) <= set(range(-3, 8)):
        return "weekday or Gi* class"
    return next((name for name, codes in CODE_LISTS.items() if set(keys) <= codes), None)


class _CodeTables(ast.NodeVisitor):
    """Finds tables of names for codes in one module, with the function they are in."""

    def __init__(self, rel: str):
        self.rel, self.function, self.found = rel, "", []

    def found_in(self, tree) -> list[str]:
        self.visit(tree)
        return self.found

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def generic_visit(self, node):
        kind = _code_table(node)
        if kind and (self.rel, self.function) not in NOT_NAMES:
            self.found.append(f"{self.rel}:{node.lineno} names {kind} codes")
        super().generic_visit(node)


def test_no_table_of_names_for_codes_outside_app_labels():
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "gis").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel != "app/labels.py":
            found += _CodeTables(rel).found_in(ast.parse(path.read_text(), rel))
    for path in sorted((ROOT / "app/templates").rglob("*.html")) + sorted((ROOT / "app/static/js").glob("*.js")):
        source = path.read_text()
        for name, codes in CODE_LISTS.items():
            # a code as a key of a text in a Jinja dict ("new": _("...")) or a JavaScript object (new: "...")
            keyed = set(re.findall(r"""["']?\b(\w+)\b["']?\s*:\s*(?:_\(|["'])""", source)) & codes
            if len(keyed) >= 2:
                found.append(f"{path.relative_to(ROOT)} names {name} codes {sorted(keyed)}")
    assert not found, "take the names from app/labels.py (a filter in templates, labels.names() for JSON): " \
                      + "; ".join(found)


def _json_script(page: str, element_id: str) -> dict:
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)[1])


def _select(page: str, name: str) -> dict:
    options = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)[1]
    return {v: html.unescape(t) for v, t in re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', options)
            if v not in ("", "open", "all")}


def _boxes(page: str, name: str) -> dict:
    """code -> label of a page's checkboxes or radio buttons (without the soft hyphens of `|hyphenate`)."""
    return {v: html.unescape(t.strip()).replace("\u00ad", "") for v, t in re.findall(
        rf'<input type="(?:checkbox|radio)" name="{name}" value="(\w+)"[^>]*>\s*(?:<span>)?([^<]+)<', page)}


def _shown_everywhere(lang, client, staff_client, police_client):
    """(where, table, code, name shown) for each code on the pages, e-mails and Open311 answers of every audience."""
    from app.services.citizen.notifications import received_mail
    from tests.factories import make_building, make_report, seed_reports

    h = {"Accept-Language": lang}
    building = make_building(owner_type="private")
    job = make_report(building, status="new", category="scratching")
    seed_reports([(i * 3.0, 0.0) for i in range(12)])
    db.session.commit()
    shown = []

    def add(where, table, found: dict):
        assert found, f"{where}: no {table} names found (has the page changed?)"
        shown.extend((where, table, code, name) for code, name in found.items())

    page = client.get("/melden", headers=h).get_data(as_text=True)
    for table in ("categories", "statuses"):
        add("report form JSON", table, _json_script(page, "report-i18n")[table])
    add("report form", "categories", _boxes(page, "category"))
    page = client.get("/karte", headers=h).get_data(as_text=True)
    for table in ("categories", "statuses"):
        add("public map JSON", table, _json_script(page, "map-i18n")[table])
    add("public map filter", "categories", _boxes(page, "map-category"))
    page = client.get(f"/r/{job.token}", headers=h).get_data(as_text=True)
    add("status page", "statuses", {job.status: html.unescape(re.search(r'<span id="status"[^>]*>([^<]+)<', page)[1])})
    add("status page", "categories", {job.category: html.unescape(re.search(r"<h1>[^<]*: ([^<]+)</h1>", page)[1])})
    subject, _body = received_mail({"category": "sticker"}, {"reporter_locale": lang, "status": "new", "token": "t"})
    add("receipt e-mail", "categories", {"sticker": re.search(r"\((.+)\)$", subject)[1]})

    page = staff_client.get("/staff/", headers=h).get_data(as_text=True)
    map_labels = json.loads(html.unescape(re.search(r"data-labels='([^']*)'", page)[1]))
    add("staff overview map", "statuses", map_labels["statuses"])
    add("staff overview map", "categories", map_labels["categories"])
    page = staff_client.get("/staff/queue?status=all", headers=h).get_data(as_text=True)
    for select, table in (("status", "statuses"), ("category", "categories"), ("owner_type", "owner_types")):
        add("staff queue filter", table, _select(page, select))
    page = staff_client.get(f"/staff/jobs/{job.id}", headers=h).get_data(as_text=True)
    add("staff job", "statuses", {job.status: re.search(r'<span class="job-status">([^<]+)<', page)[1]})
    add("staff job", "methods", _select(page, "est_method"))
    add("staff job", "owner_types", {"private": re.search(r"<td>[^<]*\(([^<,]+)\)</td>", page)[1]})
    add("staff job", "priorities", {job.priority: re.search(rf'<span class="badge p{job.priority}">([^<]+)<', page)[1]})
    add("staff job", "actions", dict(re.findall(r'data-to="(\w+)">([^<]+)</button>', page)))

    page = police_client.get("/police/", headers=h).get_data(as_text=True)
    add("police filters", "categories", _boxes(page, "category"))
    add("police filters", "weekdays", {int(k): v for k, v in _boxes(page, "weekday").items()})
    add("police options", "grid_shapes", _select(page, "shape"))
    add("police figures", "classes", {int(k): html.unescape(v) for k, v in re.findall(
        r'<tr data-class="(-?\d)"><td><span[^>]*></span>([^<]+)</td>', page)})
    page = police_client.get(f"/police/reports/{job.id}", headers=h).get_data(as_text=True)
    cells = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]+)", page))
    add("police report", "statuses", {job.status: cells["Status"]})
    add("police report", "categories", {job.category: cells["Kategorie" if lang == "de" else "Category"]})

    services = client.get("/open311/v2/services.json", headers=h).get_json()
    add("Open311 services", "categories", {s["service_code"]: s["service_name"] for s in services})
    attributes = client.get("/open311/v2/services/graffiti.json", headers=h).get_json()["attributes"]
    add("Open311 service definition", "surfaces", {v["key"]: v["name"] for v in attributes[0]["values"]})
    return shown


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_page_mail_and_open311_answer_names_a_code_as_app_labels_does(
        app, client, staff_client, police_client, lang):
    tables = {"statuses": labels.STATUS, "categories": labels.CATEGORY, "owner_types": labels.OWNER_TYPE,
              "methods": labels.REMOVAL_METHOD, "actions": labels.ACTION, "weekdays": labels.WEEKDAY,
              "grid_shapes": labels.GRID_SHAPE, "classes": labels.HOTSPOT_CLASS, "surfaces": labels.SURFACE,
              "priorities": labels.PRIORITY}
    shown = _shown_everywhere(lang, client, staff_client, police_client)
    with app.test_request_context(), force_locale(lang):
        expected = {name: labels.names(table) for name, table in tables.items()}
    wrong = [(where, table, code, name, expected[table][code]) for where, table, code, name in shown
             if expected[table].get(code) != name]
    assert not wrong, f"(where, table, code, shown, app/labels.py): {wrong}"
    assert {table for _, table, _, _ in shown} == set(tables) and len(shown) > 80
