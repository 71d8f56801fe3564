"""The measures register: validate the form, register and change measures with their history, list them."""
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from sqlalchemy import func, select, text

from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import MEASURE_KINDS, MEASURE_STATUSES, Building, Measure, MeasureEvent
from gis.projection import to_metric

MAX_AREA_M2 = 4_000_000  # a measure is at buildings or a quarter, not a whole district
EDITABLE = ("kind", "title", "description", "start_on", "end_on", "cost_eur", "office", "status", "buffer_m",
            "months", "gap_months")
FORM_FIELDS = (*EDITABLE, "area", "building_ids", "control_area")


@dataclass
class MeasureInput:
    """A checked measure form: the columns, the drawn areas (WGS84 shapely, or None) and the building ids."""

    values: dict
    area: MultiPolygon | None
    control_area: MultiPolygon | None
    building_ids: list


def _int(form, name, low, high, default, errors):
    raw = (form.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors.append((name, _("Bitte eine ganze Zahl von %(low)s bis %(high)s.", low=low, high=high)))
        return default
    return int(raw)


def _date(form, name, errors, required=False):
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            errors.append((name, _("Bitte ein Datum angeben.")))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append((name, _("„%(value)s“ ist kein Datum (JJJJ-MM-TT).", value=raw)))
        return None


def _polygon(form, name, errors) -> MultiPolygon | None:
    """A drawn area: GeoJSON Polygon or MultiPolygon in WGS84, valid, inside the city and not too large."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        geom = shape(json.loads(raw))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        errors.append((name, _("Die gezeichnete Fläche ist unlesbar; bitte neu zeichnen.")))
        return None
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon) or geom.is_empty or not geom.is_valid:
        errors.append((name, _("Die Fläche braucht mindestens drei Punkte und darf sich nicht selbst kreuzen.")))
        return None
    city = current_city()
    if not city.boundary.intersects(geom):
        errors.append((name, _("Die Fläche liegt außerhalb von %(city)s.", city=city.name)))
        return None
    if to_metric(geom, city.srid).area > MAX_AREA_M2:
        errors.append((name, _("Die Fläche ist größer als 4 km²; bitte auf das Maßnahmengebiet beschränken.")))
        return None
    return geom


def parse_form(form) -> MeasureInput:
    """The measure form checked field by field; ValidationFailed with a message per bad field."""
    errors: list = []
    kind = form.get("kind") or ""
    if kind not in MEASURE_KINDS:
        errors.append(("kind", _("Bitte eine Art der Maßnahme wählen.")))
    status = form.get("status") or "active"
    if status not in MEASURE_STATUSES:
        errors.append(("status", _("Bitte einen Stand wählen.")))
    title = (form.get("title") or "").strip()
    if not title or len(title) > 200:
        errors.append(("title", _("Bitte einen Titel mit höchstens 200 Zeichen angeben.")))
    start_on = _date(form, "start_on", errors, required=True)
    end_on = _date(form, "end_on", errors)
    if start_on and end_on and end_on < start_on:
        errors.append(("end_on", _("Das Ende liegt vor dem Beginn.")))
    cost = Decimal(0)
    raw_cost = (form.get("cost_eur") or "").strip().replace(",", ".")
    if raw_cost:
        try:
            cost = Decimal(raw_cost)
            if not cost.is_finite() or cost < 0 or cost >= Decimal("1e10"):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(("cost_eur", _("Bitte einen Betrag in Euro angeben, zum Beispiel 12500 oder 980,50.")))
    building_ids = []
    for part in (form.get("building_ids") or "").replace(";", ",").split(","):
        if part.strip():
            if not part.strip().isdigit():
                errors.append(("building_ids", _("Unbekannte Gebäudeauswahl; bitte neu wählen.")))
                break
            building_ids.append(int(part.strip()))
    if building_ids:
        found = set(db.session.scalars(select(Building.id).where(Building.id.in_(building_ids))))
        if found != set(building_ids):
            errors.append(("building_ids", _("Unbekannte Gebäudeauswahl; bitte neu wählen.")))
    area = _polygon(form, "area", errors)
    control = _polygon(form, "control_area", errors)
    if area is None and not building_ids and not any(f == "area" for f, _m in errors):
        errors.append(("area", _("Bitte eine Fläche auf der Karte zeichnen oder Gebäude anklicken.")))
    values = {
        "kind": kind, "title": title, "description": (form.get("description") or "").strip() or None,
        "start_on": start_on, "end_on": end_on, "cost_eur": cost,
        "office": (form.get("office") or "").strip()[:200] or None, "status": status,
        "buffer_m": _int(form, "buffer_m", 0, 2000, 200, errors), "months": _int(form, "months", 1, 60, 12, errors),
        "gap_months": _int(form, "gap_months", 0, 24, 0, errors),
    }
    if errors:
        raise ValidationFailed(errors)
    return MeasureInput(values, area, control, building_ids)


def _treatment_area(area: MultiPolygon | None, building_ids: list):
    """The drawn area united with the buildings' footprints (a SQL expression, WGS84 MultiPolygon)."""
    parts = []
    if area is not None:
        parts.append(func.ST_GeomFromText(area.wkt, 4326))
    if building_ids:
        parts.append(select(func.ST_Union(Building.footprint)).where(Building.id.in_(building_ids))
                     .scalar_subquery())
    union = parts[0] if len(parts) == 1 else func.ST_Union(parts[0], parts[1])
    return func.ST_Multi(func.ST_CollectionExtract(func.ST_MakeValid(union), 3))


def _buildings_in(area: MultiPolygon | None, building_ids: list) -> list:
    """The chosen buildings and those the drawn area covers at least half of."""
    ids = set(building_ids)
    if area is not None:
        drawn = func.ST_GeomFromText(area.wkt, 4326)
        ids |= set(db.session.scalars(select(Building.id).where(
            func.ST_Intersects(Building.footprint, drawn),
            func.ST_Area(func.ST_Intersection(Building.footprint, drawn)) >= 0.5 * func.ST_Area(Building.footprint))))
    return sorted(ids)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def save_measure(data: MeasureInput, user_id: int | None, measure: Measure | None = None) -> Measure:
    """Register a new measure or change `measure`; a history entry with what changed (old and new values)."""
    created = measure is None
    new_buildings = _buildings_in(data.area, data.building_ids)
    area = db.session.scalar(select(func.ST_AsEWKT(_treatment_area(data.area, new_buildings))))
    old_buildings = [] if created else [b.id for b in measure.buildings]
    if created:
        measure = Measure(created_by_id=user_id)
        db.session.add(measure)
    changes = {k: [_plain(getattr(measure, k)), _plain(v)] for k, v in data.values.items()
               if created or _plain(getattr(measure, k)) != _plain(v)}
    for key, value in data.values.items():
        setattr(measure, key, value)
    measure.area = area
    old_control = to_shape(measure.control_area) if measure.control_area is not None else None
    new_control = data.control_area
    if (old_control is None) != (new_control is None) or (
            old_control is not None and not old_control.equals_exact(new_control, 1e-7)):
        changes["control_area"] = [None if old_control is None else "…", None if new_control is None else "…"]
    control = from_shape(new_control, srid=4326) if new_control is not None else None
    measure.control_area = control
    if old_buildings != new_buildings:
        changes["buildings"] = [old_buildings, new_buildings]
    measure.buildings = list(db.session.scalars(select(Building).where(Building.id.in_(new_buildings))))
    measure.updated_at = datetime.now(UTC)
    db.session.flush()
    if changes or created:
        db.session.add(MeasureEvent(measure_id=measure.id, user_id=user_id, action="created" if created else "updated",
                                    changes=changes))
        db.session.flush()
    return measure


def form_values(measure: Measure) -> dict:
    """A measure as the form's fields (for editing)."""
    values = {k: "" if getattr(measure, k) is None else str(_plain(getattr(measure, k))) for k in EDITABLE}
    values["area"] = json.dumps(mapping(to_shape(measure.area)))
    values["control_area"] = json.dumps(mapping(to_shape(measure.control_area))) if measure.control_area else ""
    values["building_ids"] = ",".join(str(b.id) for b in measure.buildings)
    return values


def list_measures() -> list[Measure]:
    """Every measure, newest start first."""
    return list(db.session.scalars(select(Measure).order_by(Measure.start_on.desc(), Measure.id.desc())))


def measures_geojson(measures) -> dict:
    """The measures' treatment areas as a FeatureCollection (id, title, kind) for the register's map."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(to_shape(m.area)),
         "properties": {"id": m.id, "title": m.title, "kind": m.kind}} for m in measures]}


def building_at(lat: float, lon: float) -> dict | None:
    """The building under (or within 10 m of) a clicked point: id, name or address, footprint GeoJSON."""
    row = db.session.execute(text("""
        SELECT id, coalesce(name, address, '#' || id), ST_AsGeoJSON(footprint)
        FROM buildings
        WHERE ST_DWithin(footprint_m, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), city_srid()), 10)
        ORDER BY footprint_m <-> ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), city_srid())
        LIMIT 1"""), {"lat": lat, "lon": lon}).first()
    if row is None:
        return None
    return {"id": row[0], "label": row[1], "geometry": json.loads(row[2])}


def measure_zones(measure: Measure) -> dict:
    """The evaluation's other areas of a measure for its map (WGS84 GeoJSON): the surrounding ring and the drawn
    control area (None: the rest of the city)."""
    ring = db.session.scalar(text("""
        SELECT ST_AsGeoJSON(ST_Transform(ST_Difference(ST_Buffer(t, :buf), t), 4326), 7)
        FROM (SELECT ST_Transform(area, city_srid()) AS t FROM measures WHERE id = :id) m"""),
        {"id": measure.id, "buf": measure.buffer_m})
    control = mapping(to_shape(measure.control_area)) if measure.control_area is not None else None
    return {"ring": json.loads(ring) if ring else None, "control": control}
