"""Display names of statuses, categories, owner types and methods (German msgids, translated per request)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.staff import bp

STATUS_LABELS = {
    "new": _l("neu"), "verified": _l("geprüft"), "scheduled": _l("eingeplant"), "removed": _l("entfernt"),
    "closed": _l("abgeschlossen"), "rejected": _l("abgelehnt"), "duplicate": _l("Duplikat"),
    "notify_owner": _l("Eigentümer benachrichtigen"),
}
ACTION_LABELS = {
    "new": _l("Wieder öffnen"), "verified": _l("Bestätigen"), "scheduled": _l("Einplanen"),
    "removed": _l("Als entfernt markieren"), "closed": _l("Abschließen"), "rejected": _l("Ablehnen"),
    "duplicate": _l("Als Duplikat markieren"), "notify_owner": _l("Eigentümer benachrichtigen"),
}
CATEGORY_LABELS = {"graffiti": _l("Graffiti"), "sticker": _l("Aufkleber/Plakat"), "scratching": _l("Kratzer/Ritzung"),
                   "other": _l("Sonstiges")}
OWNER_LABELS = {"municipal": _l("städtisch"), "public": _l("öffentlich (andere)"), "private": _l("privat")}
METHOD_LABELS = {"paint_over": _l("Überstreichen"), "pressure_washing": _l("Hochdruckreinigung"),
                 "chemical": _l("Chemische Entfernung"), "film_removal": _l("Folien-/Aufkleberentfernung")}
PRIORITY_LABELS = {1: _l("1 – anstößig (24 h)"), 2: _l("2 – städtisch (3 Arbeitstage)"),
                   3: _l("3 – sonstige (10 Arbeitstage)"), 4: _l("4 – privat: Eigentümer")}


def category_label(value):
    """The display name of a category."""
    return str(CATEGORY_LABELS.get(value, value))


def method_label(value):
    """The display name of a removal method."""
    return str(METHOD_LABELS.get(value, value))


@bp.app_template_filter("staff_dt")
def format_datetime(value, with_time=True):
    """A date/time in local time, German style."""
    from app.services.core.workdays import city_timezone

    if value is None:
        return "–"
    if hasattr(value, "astimezone"):
        value = value.astimezone(city_timezone())
        return value.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


@bp.context_processor
def _labels():
    return {"STATUS_LABELS": STATUS_LABELS, "ACTION_LABELS": ACTION_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS,
            "OWNER_LABELS": OWNER_LABELS, "METHOD_LABELS": METHOD_LABELS, "PRIORITY_LABELS": PRIORITY_LABELS,
            "_untranslated": _}
