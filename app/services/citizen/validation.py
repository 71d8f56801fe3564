"""Checking what a citizen sends: position, category, texts, flags and photos; plain values out or ValidationFailed."""
import math
import re

from flask import current_app
from flask_babel import gettext as _

from app.city import current_city
from app.errors import ValidationFailed
from app.models import CATEGORIES
from app.services.citizen.photos import PhotoError, check_photo, photo_gps, process_photo

MAX_PHOTOS = 5
MAX_DESCRIPTION = 2000
MAX_EMAIL = 254
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE, FALSE = {"1", "true", "on", "yes", "ja"}, {"", "0", "false", "off", "no", "nein"}


def max_photo_bytes() -> int:
    """Largest accepted single photo in bytes (PHOTO_MAX_MB)."""
    return int(float(current_app.config["PHOTO_MAX_MB"]) * 1024 * 1024)


def _number(value, field, low, high, errors):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        errors.append((field, _("„%(value)s“ ist keine Zahl.", value=str(value)[:40])))
        return None
    if isinstance(value, bool) or not math.isfinite(number):
        errors.append((field, _("„%(value)s“ ist keine Zahl.", value=str(value)[:40])))
        return None
    if not low <= number <= high:
        errors.append((field, _("%(field)s muss zwischen %(low)s und %(high)s liegen.", field=field, low=low,
                                high=high)))
        return None
    return number


def parse_point(data: dict, errors: list) -> tuple[float | None, float | None]:
    """Latitude and longitude (WGS84) from `data`; problems are appended to `errors`."""
    lat = _number(data.get("lat"), "lat", -90, 90, errors)
    lon = _number(data.get("lon"), "lon", -180, 180, errors)
    return lat, lon


def _flag(value, field, errors) -> bool:
    if isinstance(value, bool):
        return value
    text_value = "" if value is None else str(value).strip().lower()
    if text_value in TRUE:
        return True
    if text_value not in FALSE:
        errors.append((field, _("Bitte „true“ oder „false“ angeben.")))
    return False


def _text(value, field, limit, errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append((field, _("Bitte Text angeben.")))
        return None
    value = CONTROL.sub("", value).strip()
    if len(value) > limit:
        errors.append((field, _("Der Text ist zu lang (%(n)d Zeichen, höchstens %(limit)d).", n=len(value),
                                limit=limit)))
        return None
    return value or None


def validate_report(data: dict, photos: list) -> tuple[dict, list]:
    """Check every field (and the photos' sizes and headers), then decode every photo; returns (clean values,
    processed photos) or raises. No photo is decoded when any field is wrong."""
    errors: list = []
    status = 400
    lat, lon = parse_point(data, errors)
    category = str(data.get("category") or "").strip().lower()
    if not category:
        errors.append(("category", _("Bitte wählen Sie, was es ist (Kategorie).")))
    elif category not in CATEGORIES:
        errors.append(("category", _("Unbekannte Kategorie „%(value)s“. Erlaubt: %(allowed)s.",
                                     value=category[:40], allowed=", ".join(CATEGORIES))))
    description = _text(data.get("description"), "description", MAX_DESCRIPTION, errors)
    email = _text(data.get("email"), "email", MAX_EMAIL, errors)
    if email and not EMAIL.match(email):
        errors.append(("email", _("Diese E-Mail-Adresse ist ungültig. Das Feld kann auch leer bleiben.")))
    offensive = _flag(data.get("offensive"), "offensive", errors)

    # Photos: only their byte sizes and headers now; nothing is decoded before every field is known good.
    if len(photos) > MAX_PHOTOS:
        errors.append(("photos", _("Höchstens %(n)d Fotos pro Meldung (gesendet: %(sent)d).", n=MAX_PHOTOS,
                                   sent=len(photos))))
    else:
        limit = max_photo_bytes()
        for i, raw in enumerate(photos, start=1):
            if len(raw) > limit:
                status = 413
                errors.append(("photos", _("Foto %(i)d ist zu groß (höchstens %(mb)s MB).", i=i,
                                           mb=round(limit / (1024 * 1024), 1))))
                continue
            try:
                check_photo(raw)
            except PhotoError as exc:
                errors.append(("photos", _("Foto %(i)d: %(reason)s", i=i, reason=str(exc))))

    location_source = "client"
    if lat is None and lon is None and not any(f in ("lat", "lon") for f, _m in errors):
        gps = next((g for g in (photo_gps(raw) for raw in photos[:MAX_PHOTOS] if len(raw) <= max_photo_bytes())
                    if g), None)
        if gps:
            lat, lon = gps
            location_source = "photo"
        else:
            errors.append(("location", _("Bitte geben Sie den Ort an: „Meinen Standort verwenden“, die Nadel "
                                         "auf der Karte verschieben oder eine Adresse suchen.")))
    elif (lat is None) != (lon is None) and not any(f in ("lat", "lon") for f, _m in errors):
        errors.append(("lat" if lat is None else "lon", _("Breite (lat) und Länge (lon) gehören zusammen.")))
    if lat is not None and lon is not None and not current_city().contains(lon, lat):
        errors.append(("location", _("Dieser Ort liegt außerhalb von %(city)s. Wir können nur Meldungen aus "
                                     "dem Stadtgebiet von %(city)s bearbeiten.", city=current_city().name)))
    if errors:
        raise ValidationFailed(errors, status)
    processed = []
    for i, raw in enumerate(photos, start=1):
        try:
            processed.append(process_photo(raw))
        except PhotoError as exc:
            errors.append(("photos", _("Foto %(i)d: %(reason)s", i=i, reason=str(exc))))
    if errors:
        raise ValidationFailed(errors, status)
    return {"lat": lat, "lon": lon, "category": category, "description": description, "email": email,
            "offensive": offensive, "location_source": location_source}, processed


def parse_bbox(value: str | None) -> tuple[float, float, float, float]:
    """minlon,minlat,maxlon,maxlat from a query string value; raises ValidationFailed."""
    message = _("bbox muss „minlon,minlat,maxlon,maxlat“ sein (vier Zahlen in WGS84, min < max).")
    try:
        parts = [float(v) for v in (value or "").split(",")]
    except ValueError:
        raise ValidationFailed([("bbox", message)]) from None
    if len(parts) != 4 or not all(math.isfinite(v) for v in parts):
        raise ValidationFailed([("bbox", message)])
    minlon, minlat, maxlon, maxlat = parts
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise ValidationFailed([("bbox", message)])
    return minlon, minlat, maxlon, maxlat
