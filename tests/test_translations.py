"""The English catalogs of all areas are merged into one at run time: a German text may mean one thing only."""
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = sorted((Path(__file__).resolve().parents[1] / "app/translations").glob("*/en/LC_MESSAGES/messages.po"))


def test_no_text_is_translated_differently_in_two_areas():
    seen: dict = {}
    for po in CATALOGS:
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id:
                    seen.setdefault((message.context, str(message.id)), {})[po.parts[-5]] = str(message.string)
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
