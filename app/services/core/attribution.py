"""The attribution under every map: the city's (its boundary's source) and, once OpenStreetMap data is
loaded (`flask import-osm`), the ODbL attribution those data require."""
from flask import g
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError

from app.city import current_city
from app.config import HEILBRONN_ATTRIBUTION
from app.extensions import db
from app.models_osm import OsmImport


def osm_loaded() -> bool:
    """Whether OpenStreetMap data were imported into this database (asked once per request)."""
    if "osm_loaded" not in g:
        try:
            g.osm_loaded = bool(db.session.scalar(select(exists().where(OsmImport.id.is_not(None)))))
        except SQLAlchemyError:  # an error page while the database is away still gets the city's attribution
            return False
    return g.osm_loaded


def osm_attribution() -> str:
    """The attribution OpenStreetMap's licence (ODbL) asks of whoever shows its data."""
    return _("Gebäude und Straßen: © OpenStreetMap-Mitwirkende, ODbL")


def city_attribution() -> str:
    """The city's attribution (`CITY_ATTRIBUTION`); the Heilbronn default in the reader's language (a text an
    operator configures is shown as written)."""
    text = current_city().attribution
    if text == HEILBRONN_ATTRIBUTION:
        return _("Stadtgrenze: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0")
    return text


def map_attribution() -> str:
    """The city's attribution, and OpenStreetMap's when its data are loaded."""
    parts = [city_attribution(), osm_attribution() if osm_loaded() else ""]
    return " · ".join(p for p in parts if p)
