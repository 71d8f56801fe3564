"""One wording per code shown to people: statuses, categories, Gi* classes, owner types, removal methods, ...

Every page, e-mail, export and the JavaScript takes its display names from here (the JavaScript gets them
from the server inside the page, as plain strings). The codes are the machine-readable contract of the
database, the API and the exports and never change; only their names are shown and translated. German
msgids, translated lazily (when shown: in the language of the request, or of `force_locale` for e-mails);
the English names are in the core catalog, app/translations/core/en/LC_MESSAGES/messages.po.
Templates use the filters registered by `init_app`, e.g. ``{{ report.status|status_label }}``.
"""
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context

STATUS = {
    "new": _l("Eingegangen"), "verified": _l("Geprüft"), "scheduled": _l("Entfernung geplant"),
    "removed": _l("Entfernt"), "closed": _l("Abgeschlossen"), "rejected": _l("Abgelehnt"),
    "duplicate": _l("Bereits gemeldet"), "notify_owner": _l("Eigentümer wird benachrichtigt"),
}
# The staff's button that moves a job into a status.
ACTION = {
    "new": _l("Wieder öffnen"), "verified": _l("Bestätigen"), "scheduled": _l("Einplanen"),
    "removed": _l("Als entfernt markieren"), "closed": _l("Abschließen"), "rejected": _l("Ablehnen"),
    "duplicate": _l("Als Duplikat markieren"), "notify_owner": _l("Eigentümer benachrichtigen"),
}
# Canned replies to the citizen with a status change (status page, e-mail): code -> wording, shown in the reader's
# language; PUBLIC_REPLY_FOR says with which target statuses the job page offers each.
PUBLIC_REPLY = {
    "checked": _l("Wir haben Ihre Meldung geprüft und kümmern uns darum."),
    "crew_ordered": _l("Die Entfernung ist beauftragt; ein Trupp kommt in den nächsten Tagen vorbei."),
    "owner_asked": _l("Das Gebäude ist in Privatbesitz. Wir haben den Eigentümer gebeten, den Schaden zu entfernen."),
    "removed_thanks": _l("Der Schaden ist entfernt. Vielen Dank für Ihre Meldung!"),
    "already_reported": _l("Dieser Schaden war schon gemeldet; wir bearbeiten ihn mit der ersten Meldung."),
    "nothing_found": _l("Wir haben vor Ort keinen Schaden gefunden, der zu Ihrer Meldung passt."),
    "already_gone": _l("Der Schaden war bei unserer Prüfung bereits beseitigt."),
    "permitted_art": _l("Es handelt sich um eine genehmigte Wandgestaltung, nicht um eine Sachbeschädigung."),
    "not_city": _l("Die Fläche gehört nicht der Stadt (zum Beispiel der Bahn oder einem Versorger); die Stadt "
                   "kann dort nicht tätig werden."),
    "place_unclear": _l("Wir konnten die Stelle nicht finden. Bitte melden Sie den Schaden gern noch einmal mit "
                        "genauerem Ort oder einem Foto."),
}
PUBLIC_REPLY_FOR = {
    "verified": ("checked",), "scheduled": ("crew_ordered",), "notify_owner": ("owner_asked",),
    "removed": ("removed_thanks",), "closed": ("removed_thanks",), "duplicate": ("already_reported",),
    "rejected": ("nothing_found", "already_gone", "permitted_art", "not_city", "place_unclear"),
}
CATEGORY = {
    "graffiti": _l("Graffiti"), "sticker": _l("Aufkleber / Plakat"), "scratching": _l("Kratzer / Ätzung"),
    "other": _l("Andere Sachbeschädigung"),
}
OWNER_TYPE = {"municipal": _l("städtisch"), "public": _l("öffentlich (andere)"), "private": _l("privat")}
REMOVAL_METHOD = {
    "paint_over": _l("Überstreichen"), "pressure_washing": _l("Hochdruckreinigung"),
    "chemical": _l("Chemische Entfernung"), "film_removal": _l("Folien-/Aufkleberentfernung"),
}
PRIORITY = {
    1: _l("1 – anstößig (24 h)"), 2: _l("2 – städtisch (3 Arbeitstage)"), 3: _l("3 – sonstige (10 Arbeitstage)"),
    4: _l("4 – privat: Eigentümer"),
}
# Where on a building the damage is (Open311 attribute `surface`).
SURFACE = {
    "facade": _l("Fassade / Wand"), "door": _l("Tür / Tor"), "window": _l("Fenster / Glas"),
    "furniture": _l("Stadtmobiliar"), "other": _l("Sonstiges"),
}
# Getis-Ord Gi* classes: hot (positive) or cold (negative) at 90, 95 or 99 %; 0, not significant, is not drawn.
HOTSPOT_CLASS = {
    3: _l("Hotspot 99 %"), 2: _l("Hotspot 95 %"), 1: _l("Hotspot 90 %"),
    -1: _l("Coldspot 90 %"), -2: _l("Coldspot 95 %"), -3: _l("Coldspot 99 %"),
}
# The classes' machine-readable names in GeoJSON/CSV exports and the API (`class_label`): never translated.
HOTSPOT_CLASS_CODE = {3: "hot_99", 2: "hot_95", 1: "hot_90", 0: "not_significant", -1: "cold_90", -2: "cold_95",
                      -3: "cold_99"}
# Too few reports for hot/cold classes or a verdict: maps, figures and exports show counts only.
NO_STATEMENT_CODE = "too_few_reports"
TOO_FEW_REPORTS = _l("Zu wenige Meldungen für eine Aussage")
# Emerging hot spot patterns (ArcGIS Pro's Emerging Hot Spot Analysis; definitions in gis/emerging.py).
EMERGING_PATTERN = {
    "new_hot": _l("Neuer Hotspot"), "consecutive_hot": _l("Fortgesetzter Hotspot"),
    "intensifying_hot": _l("Sich verstärkender Hotspot"), "persistent_hot": _l("Beständiger Hotspot"),
    "diminishing_hot": _l("Abnehmender Hotspot"), "sporadic_hot": _l("Sporadischer Hotspot"),
    "oscillating_hot": _l("Wechselnder Hotspot"), "historical_hot": _l("Ehemaliger Hotspot"),
    "new_cold": _l("Neuer Coldspot"), "consecutive_cold": _l("Fortgesetzter Coldspot"),
    "intensifying_cold": _l("Sich verstärkender Coldspot"), "persistent_cold": _l("Beständiger Coldspot"),
    "diminishing_cold": _l("Abnehmender Coldspot"), "sporadic_cold": _l("Sporadischer Coldspot"),
    "oscillating_cold": _l("Wechselnder Coldspot"), "historical_cold": _l("Ehemaliger Coldspot"),
    "no_pattern": _l("Kein Muster"),
}
# Prevention measures (app/models.py MEASURE_KINDS, MEASURE_STATUSES).
MEASURE_KIND = {
    "coating": _l("Anti-Graffiti-Beschichtung"), "legal_wall": _l("Legale Wand"), "lighting": _l("Beleuchtung"),
    "video": _l("Videoüberwachung"), "fast_removal": _l("Schnellentfernung"), "greening": _l("Begrünung"),
    "mural": _l("Beauftragtes Wandbild"), "school_project": _l("Schulprojekt"),
    "police_presence": _l("Polizeiliche Präsenz"), "other": _l("Andere Maßnahme"),
}
MEASURE_STATUS = {"planned": _l("geplant"), "active": _l("laufend"), "finished": _l("abgeschlossen"),
                  "stopped": _l("abgebrochen")}
# Weighted Displacement Quotient verdicts (gis/prevention.py), in words for a council member.
DISPLACEMENT = {
    "no_success": _l("Im Maßnahmengebiet kein nachweisbarer Rückgang gegenüber dem Vergleichsgebiet: keine "
                     "Aussage zur Verdrängung möglich."),
    "none": _l("Weder Verdrängung noch Ausstrahlung: die Umgebung hat sich wie das Vergleichsgebiet entwickelt."),
    "diffusion": _l("Ausstrahlung: auch in der Umgebung ging es zurück, aber weniger als im Maßnahmengebiet."),
    "diffusion_more": _l("Starke Ausstrahlung: die Umgebung hat mehr gewonnen als das Maßnahmengebiet selbst."),
    "displacement": _l("Verdrängung: ein Teil der Schmierereien ist in die Umgebung gewandert, insgesamt bleibt "
                       "ein Gewinn."),
    "displacement_more": _l("Starke Verdrängung: in die Umgebung ist mehr gewandert, als im Maßnahmengebiet "
                            "verhindert wurde."),
}
GRID_SHAPE = {"hex": _l("Sechsecke"), "square": _l("Quadrate")}
# Where a nearby report lies from the citizen's pin ("25 m nördlich"), by the compass points of gis/compass.py.
COMPASS = {
    "n": _l("nördlich"), "ne": _l("nordöstlich"), "e": _l("östlich"), "se": _l("südöstlich"), "s": _l("südlich"),
    "sw": _l("südwestlich"), "w": _l("westlich"), "nw": _l("nordwestlich"),
}
# ISO weekdays (1 = Monday), short.
WEEKDAY = {1: _l("Mo"), 2: _l("Di"), 3: _l("Mi"), 4: _l("Do"), 5: _l("Fr"), 6: _l("Sa"), 7: _l("So")}

# Template filter name -> table (the filters are registered by init_app).
FILTERS = {
    "status_label": STATUS, "action_label": ACTION, "category_label": CATEGORY, "owner_label": OWNER_TYPE,
    "method_label": REMOVAL_METHOD, "priority_label": PRIORITY, "surface_label": SURFACE,
    "class_label": HOTSPOT_CLASS, "grid_label": GRID_SHAPE, "weekday_label": WEEKDAY, "reply_label": PUBLIC_REPLY,
    "pattern_label": EMERGING_PATTERN, "measure_kind_label": MEASURE_KIND, "measure_status_label": MEASURE_STATUS,
    "displacement_label": DISPLACEMENT, "compass_label": COMPASS,
}


def label(table: dict, code) -> str:
    """The name of `code` in the current language; the code itself when it has none, "–" for no code."""
    if code is None:
        return "–"
    name = table.get(code)
    return str(code) if name is None else str(name)


def names(table: dict) -> dict:
    """A whole table as plain strings in the current language, in its order (for JSON in pages)."""
    return {code: str(name) for code, name in table.items()}


def status_label(code: str) -> str:
    """The name of a status."""
    return label(STATUS, code)


def category_label(code: str) -> str:
    """The name of a category."""
    return label(CATEGORY, code)


def method_label(code: str | None) -> str:
    """The name of a removal method."""
    return label(REMOVAL_METHOD, code)


def _template_filter(table: dict):
    @pass_context  # never evaluated at compile time: ``'hex'|grid_label`` is a constant, its name is not
    def name_of(_context, code) -> str:
        return label(table, code)
    return name_of


def init_app(app) -> None:
    """Register one template filter per table (``{{ code|status_label }}``)."""
    for name, table in FILTERS.items():
        app.add_template_filter(_template_filter(table), name)
