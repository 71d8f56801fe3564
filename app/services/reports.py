"""Citizen reports: validation, building snapping, duplicates, idempotent submission and public views.

`submit_report` is the one use case every client (the web page, the JSON API, Open311) goes through:
plain data in, plain answer out, one transaction, few queries.
"""
import hashlib
import json
import logging
import math
import re
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from psycopg.rows import dict_row
from sqlalchemy import func, select, text

from app import autocommit
from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import CATEGORIES, OPEN_STATUSES, Confirmation, Report
from app.services.mail import queue_mail, send_mail
from app.services.photos import PhotoError, photo_gps, process_photo, write_photo
from app.services.sla import removal_target, targets_from_config
from app.services.workdays import local_date
from app.services.workflow import RETAG_WINDOW, status_changed

log = logging.getLogger(__name__)

MAX_PHOTOS = 5
MAX_DESCRIPTION = 2000
MAX_EMAIL = 254
SNAP_METRES = 30.0
DUPLICATE_METRES = 15.0
DUPLICATE_WINDOW = timedelta(days=30)
NEARBY_METRES = 50.0
MAP_GRID_METRES = 25.0          # public map positions are snapped to this grid (approximate)
MAP_RECENT = timedelta(days=90)  # closed reports stay on the public map this long
MAP_LIMIT = 5000
SUBMIT_ENDPOINT = "POST /api/v1/reports"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE, FALSE = {"1", "true", "on", "yes", "ja"}, {"", "0", "false", "off", "no", "nein"}
OPEN_SQL = ", ".join(f"'{s}'" for s in OPEN_STATUSES)


def max_photo_bytes() -> int:
    """Largest accepted single photo in bytes (PHOTO_MAX_MB, default 15)."""
    return int(float(current_app.config.get("PHOTO_MAX_MB", 15)) * 1024 * 1024)


# -- validation ------------------------------------------------------------------------------------------

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
    """Check every field and decode every photo; returns (clean values, processed photos) or raises."""
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

    processed = []
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
                processed.append(process_photo(raw))
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
    return {"lat": lat, "lon": lon, "category": category, "description": description, "email": email,
            "offensive": offensive, "location_source": location_source}, processed


def _request_hash(clean: dict, processed: list) -> str:
    payload = {k: clean[k] for k in ("lat", "lon", "category", "description", "email", "offensive")}
    payload["photos"] = [p.sha256 for p in processed]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200 or not key.isascii() or not key.isprintable():
        raise ValidationFailed([("Idempotency-Key", _("Der Idempotency-Key muss 1 bis 200 sichtbare "
                                                      "ASCII-Zeichen lang sein."))])
    return key


def _claim_key(key: str, endpoint: str, request_hash: str):
    """Reserve `key` in this transaction; returns the first answer (status, body) when it was used before.

    The insert waits for a concurrent request holding the same key, so two retries never both create.
    """
    claimed = db.session.execute(text(
        "INSERT INTO idempotency_keys (key, endpoint, status_code, body, request_hash) "
        "VALUES (:k, :e, 0, '{}'::jsonb, :h) ON CONFLICT DO NOTHING RETURNING key"),
        {"k": key, "e": endpoint, "h": request_hash}).scalar()
    if claimed is not None:
        return None
    row = db.session.execute(text(
        "SELECT status_code, body, request_hash FROM idempotency_keys WHERE key = :k AND endpoint = :e"),
        {"k": key, "e": endpoint}).one()
    if row.request_hash and row.request_hash != request_hash:
        raise ValidationFailed([("Idempotency-Key", _("Dieser Idempotency-Key wurde schon für eine andere "
                                                      "Anfrage verwendet."))], 422)
    return row.status_code, row.body


def _store_answer(key: str, endpoint: str, status_code: int, body: dict) -> None:
    db.session.execute(text(
        "UPDATE idempotency_keys SET status_code = :s, body = CAST(:b AS jsonb) WHERE key = :k AND endpoint = :e"),
        {"s": status_code, "b": json.dumps(body), "k": key, "e": endpoint})


# -- storing: snapping, district, duplicate, re-tag, SLA target, report, audit trail, photos in one statement ---

# One statement per report (it is benchmarked): the point and its position in the city's metric CRS (stored as
# location_m, so the table's trigger has nothing left to do on insert); the building whose footprint contains
# it or the nearest within 30 m (GiST on footprint_m); the district (ST_Intersects on geom_m); the oldest open
# report of the last 30 days on that building, else the nearest within 15 m (duplicate_of; partial indexes on
# open reports); whether the building was cleaned within
# workflow.RETAG_WINDOW (what workflow.is_retag answers; driven by the building's reports, so it reads a few
# index entries instead of every recent removal); then the report row with the SLA target of its owner type
# (sla.removal_target, computed in Python for each owner type), the first audit-trail event (what
# workflow.record_creation writes: from nothing to the initial status) and, when there are photos, their rows.
_INSERT_TEMPLATE = f"""
WITH p AS (SELECT w, ST_Transform(w, %(srid)s) AS g
           FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS w) q),
b AS (
  SELECT b.id, b.address, b.name, b.owner_type
  FROM buildings b, p
  WHERE ST_DWithin(b.footprint_m, p.g, %(snap)s)
  ORDER BY ST_Distance(b.footprint_m, p.g), b.id
  LIMIT 1),
ctx AS (
  SELECT b.id AS building_id, b.address, b.name, b.owner_type,
    (SELECT d.id FROM districts d, p WHERE ST_Intersects(d.geom_m, p.g) ORDER BY d.id LIMIT 1) AS district_id,
    COALESCE(
      (SELECT r.id FROM reports r
       WHERE r.building_id = b.id AND r.status IN ({OPEN_SQL}) AND r.created_at >= %(since)s
       ORDER BY r.created_at, r.id LIMIT 1),
      (SELECT r.id FROM reports r, p
       WHERE ST_DWithin(r.location_m, p.g, %(dup)s) AND r.status IN ({OPEN_SQL}) AND r.created_at >= %(since)s
       ORDER BY ST_Distance(r.location_m, p.g), r.created_at, r.id LIMIT 1)) AS duplicate_of,
    (b.id IS NOT NULL AND EXISTS (
       SELECT 1 FROM reports rr
       WHERE rr.building_id = b.id AND (SELECT true FROM removals rm WHERE rm.report_id = rr.id
         AND rm.removed_on >= %(retag_from)s AND rm.removed_on <= %(today)s LIMIT 1))) AS retagged
  FROM p LEFT JOIN b ON true),
ins AS (
  INSERT INTO reports (token, category, description, offensive, status, source, reporter_email, reporter_locale,
                       location, location_m, building_id, district_id, duplicate_of_id, address, retagged, priority,
                       due_at, created_at, updated_at, closed_at, surface, reporter_name, reporter_phone, media_url)
  SELECT %(token)s, %(category)s, %(description)s, %(offensive)s,
         CASE WHEN ctx.duplicate_of IS NULL THEN 'new' ELSE 'duplicate' END, %(source)s, %(email)s, %(locale)s,
         p.w, p.g, ctx.building_id, ctx.district_id, ctx.duplicate_of,
         COALESCE(ctx.address, %(address)s), ctx.retagged,
         CASE ctx.owner_type WHEN 'municipal' THEN %(prio_municipal)s WHEN 'private' THEN %(prio_private)s
              ELSE %(prio_other)s END,
         CASE ctx.owner_type WHEN 'municipal' THEN %(due_municipal)s WHEN 'private' THEN %(due_private)s
              ELSE %(due_other)s END,
         %(now)s, %(now)s, CASE WHEN ctx.duplicate_of IS NULL THEN NULL ELSE %(now)s END,
         %(surface)s, %(reporter_name)s, %(reporter_phone)s, %(media_url)s
  FROM ctx, p
  RETURNING id, token, status, duplicate_of_id, reporter_locale),
ev AS (
  INSERT INTO status_events (report_id, from_status, to_status, note, created_at)
  SELECT id, NULL, status, CASE WHEN duplicate_of_id IS NULL THEN NULL ELSE 'duplicate of #' || duplicate_of_id END,
         %(now)s
  FROM ins){{photos}}
SELECT ins.id, ins.token, ins.status, ins.duplicate_of_id AS duplicate_of, ins.reporter_locale,
       ctx.building_id, ctx.address AS b_address, ctx.name AS b_name, ctx.owner_type
FROM ins, ctx
"""
PHOTOS_CTE = """,
ph AS (
  INSERT INTO photos (report_id, kind, sha256, filename, thumb_filename, width, height)
  SELECT ins.id, 'report', u.sha256, u.filename, u.thumb, u.width, u.height
  FROM ins, unnest(%(photo_sha256)s::text[], %(photo_file)s::text[], %(photo_thumb)s::text[], %(photo_width)s::int[],
                   %(photo_height)s::int[]) AS u(sha256, filename, thumb, width, height))"""
INSERT_WITHOUT_PHOTOS_SQL = _INSERT_TEMPLATE.replace("{photos}", "")
INSERT_WITH_PHOTOS_SQL = _INSERT_TEMPLATE.replace("{photos}", PHOTOS_CTE)


def _raw_connection():
    """The psycopg connection under the session's transaction (no ORM overhead on the hot path)."""
    return db.session.connection().connection.driver_connection


def _insert_params(clean: dict, source: str, extra: dict, now: datetime, processed: list) -> dict:
    """The statement's parameters: the report's values, its SLA target per owner type, its photos."""
    targets = targets_from_config(current_app.config)
    by_owner = {owner: removal_target(now, clean["offensive"], owner, targets)
                for owner in ("municipal", "private", None)}
    params = {
        "lon": clean["lon"], "lat": clean["lat"], "srid": current_city().srid, "snap": SNAP_METRES,
        "dup": DUPLICATE_METRES, "since": now - DUPLICATE_WINDOW,
        "retag_from": local_date(now - RETAG_WINDOW), "today": local_date(now), "token": secrets.token_urlsafe(24),
        "category": clean["category"],
        "description": clean["description"], "offensive": clean["offensive"], "source": source,
        "email": clean["email"], "locale": str(get_locale() or "de") if clean["email"] else None,
        "address": extra.get("address"), "now": now,
        "prio_municipal": by_owner["municipal"].priority, "due_municipal": by_owner["municipal"].due_at,
        "prio_private": by_owner["private"].priority, "due_private": by_owner["private"].due_at,
        "prio_other": by_owner[None].priority, "due_other": by_owner[None].due_at,
        **{f: extra.get(f) for f in ("surface", "reporter_name", "reporter_phone", "media_url")},
    }
    if processed:
        params.update(photo_sha256=[p.sha256 for p in processed], photo_file=[p.filename for p in processed],
                      photo_thumb=[p.thumb_filename for p in processed], photo_width=[p.width for p in processed],
                      photo_height=[p.height for p in processed])
    return params


def _insert_report(conn, params: dict) -> dict:
    """Snap, de-duplicate and insert one report with its first audit-trail event and photo rows."""
    sql = INSERT_WITH_PHOTOS_SQL if "photo_sha256" in params else INSERT_WITHOUT_PHOTOS_SQL
    return conn.cursor(row_factory=dict_row).execute(sql, params).fetchone()


# -- the use case ------------------------------------------------------------------------------------------

EXTRA_FIELDS = ("surface", "reporter_name", "reporter_phone", "address", "media_url")


def submit_report(data: dict, photos: list, source: str = "web", idempotency_key: str | None = None,
                  extra: dict | None = None) -> dict:
    """Validate, snap, de-duplicate and store one report with its photos; returns the public answer.

    `data`: lat, lon, category, description, offensive, email (strings or typed values); `photos`: raw
    bytes of each uploaded file. Raises ValidationFailed (nothing stored) on bad input. With an
    `idempotency_key`, a repeated call returns the first answer and stores nothing new. `extra`: further
    already validated report fields from other channels (Open311: surface, reporter name and phone,
    the address string given, a media URL), stored in the same transaction.

    The photo files are written first (content-addressed names) and removed again when storing fails. A
    report without a key is then stored by one statement committing on its own (app.autocommit); with a
    key, or inside a caller's transaction, the key, the statement and the answer share the session's
    transaction. The confirmation e-mail goes out once the report is committed.
    """
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    if set(extra) - set(EXTRA_FIELDS):
        raise ValueError(f"unknown extra report fields: {sorted(set(extra) - set(EXTRA_FIELDS))}")
    key = _check_key(idempotency_key)
    clean, processed = validate_report(data, photos)
    now = datetime.now(timezone.utc)
    params = _insert_params(clean, source, extra, now, processed)
    created_files: list[Path] = []
    try:
        upload_dir = current_app.config["UPLOAD_DIR"]
        for p in processed:
            created_files.extend(write_photo(p, upload_dir)[1])
        if key is None and autocommit.available():
            with autocommit.connection() as conn:
                row = _insert_report(conn, params)
            answer = _answer(row, clean, processed, now)
            _send_received_mail(clean, row)
        else:
            if key:
                replay = _claim_key(key, SUBMIT_ENDPOINT, _request_hash(clean, processed))
                if replay is not None:
                    db.session.rollback()
                    _remove(created_files)
                    return replay[1]
            row = _insert_report(_raw_connection(), params)
            answer = _answer(row, clean, processed, now)
            if key:
                _store_answer(key, SUBMIT_ENDPOINT, 201, answer)
            if clean["email"]:
                queue_mail(db.session, clean["email"], *_received_mail(clean, row))
            db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove(created_files)
        raise
    log.debug("report %s stored (building %s, duplicate of %s, %d photos)", answer["id"], row["building_id"],
              row["duplicate_of"], len(processed))
    return answer


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _answer(row: dict, clean: dict, processed: list, now: datetime) -> dict:
    return {
        "id": row["id"], "token": row["token"], "status": row["status"],
        "building": None if row["building_id"] is None else {
            "id": row["building_id"], "address": row["b_address"], "name": row["b_name"],
            "owner_type": row["owner_type"]},
        "duplicate_of": row["duplicate_of"], "location": {"lat": clean["lat"], "lon": clean["lon"]},
        "location_source": clean["location_source"], "photos": len(processed),
        "created_at": now.isoformat(), "status_url": f"/r/{row['token']}",
    }


# -- confirmations, nearby, public views ------------------------------------------------------------------

def report_by_token(token: str) -> Report | None:
    """The report with this public token, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Report).where(Report.token == token))


def confirmation_count(report_id: int) -> int:
    """Citizens who said "I see it too" plus the reports recorded as its duplicates."""
    return db.session.scalar(text(
        "SELECT (SELECT count(*) FROM confirmations WHERE report_id = :id)"
        " + (SELECT count(*) FROM reports WHERE duplicate_of_id = :id)"), {"id": report_id})


def confirm_report(token: str, idempotency_key: str | None = None) -> dict | None:
    """Add "I see it too" to an open report; None when the token is unknown."""
    key = _check_key(idempotency_key)
    report = report_by_token(token)
    if report is None:
        return None
    endpoint = "POST /api/v1/reports/confirm"
    try:
        if key:
            replay = _claim_key(key, endpoint, hashlib.sha256(token.encode()).hexdigest())
            if replay is not None:
                db.session.rollback()
                return replay[1]
        if report.status not in OPEN_STATUSES:
            raise ValidationFailed([("token", _("Diese Meldung ist bereits abgeschlossen. Bitte senden Sie eine "
                                                "neue Meldung, falls der Schaden noch da ist."))], 409)
        db.session.add(Confirmation(report_id=report.id))
        db.session.flush()
        answer = {"token": report.token, "status": report.status, "confirmations": confirmation_count(report.id)}
        if key:
            _store_answer(key, endpoint, 200, answer)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return answer


def _photo_urls(filename: str, thumb: str) -> dict:
    return {"url": f"/media/{filename}", "thumb_url": f"/media/{thumb}"}


def nearby_reports(data: dict) -> list[dict]:
    """Open reports within 50 m of lat/lon (nearest first, at most 10), for "is it one of these?"."""
    errors: list = []
    lat, lon = parse_point(data, errors)
    if not errors and (lat is None or lon is None):
        errors.append(("location", _("Bitte lat und lon angeben.")))
    if errors:
        raise ValidationFailed(errors)
    if not current_city().contains(lon, lat):
        return []  # nothing is stored outside the city (and far points have no metric position)
    rows = db.session.execute(text(f"""
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :srid) AS g)
        SELECT r.id, r.token, r.category, r.status, r.created_at, round(ST_Distance(r.location_m, p.g)) AS dist,
               (SELECT ph.thumb_filename FROM photos ph WHERE ph.report_id = r.id ORDER BY ph.id LIMIT 1) AS thumb,
               (SELECT count(*) FROM confirmations c WHERE c.report_id = r.id)
               + (SELECT count(*) FROM reports d WHERE d.duplicate_of_id = r.id) AS confirmations
        FROM reports r, p
        WHERE ST_DWithin(r.location_m, p.g, :radius) AND r.status IN ({OPEN_SQL})
        ORDER BY ST_Distance(r.location_m, p.g), r.id LIMIT 10"""),
        {"lat": lat, "lon": lon, "srid": current_city().srid, "radius": NEARBY_METRES}).all()
    return [{"token": r.token, "category": r.category, "status": r.status, "created_at": r.created_at.isoformat(),
             "distance_m": int(r.dist), "confirmations": r.confirmations,
             "thumb_url": f"/media/{r.thumb}" if r.thumb else None} for r in rows]


def public_status(token: str) -> dict | None:
    """What anyone with the link may see of a report: status, history, photos; no personal data."""
    report = report_by_token(token)
    if report is None:
        return None
    point = db.session.execute(select(func.ST_Y(Report.location), func.ST_X(Report.location))
                               .where(Report.id == report.id)).one()
    original = None
    if report.duplicate_of_id:
        o = db.session.get(Report, report.duplicate_of_id)
        if o is not None:
            original = {"status": o.status, "created_at": o.created_at.isoformat(),
                        "confirmations": confirmation_count(o.id)}
    building = report.building
    return {
        "token": report.token, "category": report.category, "offensive": report.offensive,
        "status": report.status, "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "location": {"lat": round(point[0], 4), "lon": round(point[1], 4)},
        "address": building.address if building else report.address,
        "building_name": building.name if building else None,
        "history": [{"status": e.to_status, "at": e.created_at.isoformat()} for e in report.events],
        "photos": [{**_photo_urls(p.filename, p.thumb_filename), "kind": p.kind, "width": p.width,
                    "height": p.height} for p in report.photos],
        "confirmations": confirmation_count(report.id),
        "duplicate_of": original,
    }


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


def map_features(bbox: tuple[float, float, float, float]) -> dict:
    """A GeoJSON FeatureCollection of reports in `bbox` at approximate (grid-snapped) positions.

    Open reports, and finished ones of the last 90 days; no duplicates or rejected reports, no text, no
    personal data.
    """
    # Reports lie inside the city: the box is clipped to the city's extent (nothing to ask for outside it),
    # looked up on the metric GiST index (the box in metres, widened by 50 m because a transformed box is not
    # exactly a box) and then checked exactly in WGS84.
    city = current_city()
    cminlon, cminlat, cmaxlon, cmaxlat = city.boundary.bounds
    clip = (max(bbox[0], cminlon), max(bbox[1], cminlat), min(bbox[2], cmaxlon), min(bbox[3], cmaxlat))
    if clip[0] >= clip[2] or clip[1] >= clip[3]:
        return {"type": "FeatureCollection", "features": [], "truncated": False}
    rows = db.session.execute(text(f"""
        SELECT r.id, r.category, r.status, r.created_at,
               ST_X(q.g) AS lon, ST_Y(q.g) AS lat
        FROM reports r
        CROSS JOIN LATERAL (SELECT ST_Transform(ST_SnapToGrid(r.location_m, :grid), 4326) AS g) q
        WHERE r.location_m && ST_Expand(ST_Transform(ST_MakeEnvelope(:cminlon, :cminlat, :cmaxlon, :cmaxlat, 4326),
                                                     :srid), 50)
          AND r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)
          AND (r.status IN ({OPEN_SQL}) OR (r.status IN ('removed', 'closed') AND r.updated_at >= :recent))
        ORDER BY r.created_at DESC LIMIT :limit"""),
        {"grid": MAP_GRID_METRES, "minlon": bbox[0], "minlat": bbox[1], "maxlon": bbox[2], "maxlat": bbox[3],
         "cminlon": clip[0], "cminlat": clip[1], "cmaxlon": clip[2], "cmaxlat": clip[3], "srid": city.srid,
         "recent": datetime.now(timezone.utc) - MAP_RECENT, "limit": MAP_LIMIT + 1}).all()
    features = [{
        "type": "Feature", "id": r.id,
        "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
        "properties": {"category": r.category, "status": r.status, "open": r.status in OPEN_STATUSES,
                       "date": local_date(r.created_at).isoformat()},
    } for r in rows[:MAP_LIMIT]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_LIMIT}


def search_addresses(query: str, limit: int = 8) -> list[dict]:
    """Buildings whose address or name contains `query` (at least 3 characters), with a point to show."""
    q = CONTROL.sub("", query or "").strip()
    if len(q) < 3:
        return []
    pattern = "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    rows = db.session.execute(text("""
        SELECT b.address, b.name, ST_Y(pt) AS lat, ST_X(pt) AS lon
        FROM buildings b CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.footprint) AS pt) s
        WHERE b.address ILIKE :p OR b.name ILIKE :p
        ORDER BY (b.address ILIKE :start) DESC, b.address LIMIT :limit"""),
        {"p": pattern, "start": pattern[1:], "limit": limit}).all()
    return [{"label": ", ".join(x for x in (r.name, r.address) if x), "lat": round(r.lat, 7),
             "lon": round(r.lon, 7)} for r in rows]


# -- e-mail ---------------------------------------------------------------------------------------------

def status_link(token: str) -> str:
    """The absolute (when PUBLIC_BASE_URL or a request is known) link to a report's status page."""
    from flask import has_request_context, request

    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if has_request_context() else "")
    return base.rstrip("/") + f"/r/{token}"


def status_label(status: str) -> str:
    """The citizen-facing name of a status, in the current language."""
    return {
        "new": _("Eingegangen"), "verified": _("Geprüft"), "scheduled": _("Entfernung geplant"),
        "removed": _("Entfernt"), "closed": _("Abgeschlossen"), "rejected": _("Abgelehnt"),
        "duplicate": _("Bereits gemeldet"), "notify_owner": _("Eigentümer wird benachrichtigt"),
    }.get(status, status)


def category_label(category: str) -> str:
    """The citizen-facing name of a category, in the current language."""
    return {
        "graffiti": _("Graffiti"), "sticker": _("Aufkleber / Plakat"),
        "scratching": _("Kratzer / Ätzung"), "other": _("Andere Sachbeschädigung"),
    }.get(category, category)


def _received_mail(clean: dict, row: dict) -> tuple[str, str]:
    """Subject and body of the "we have received your report" message, in the reporter's language."""
    with force_locale(row["reporter_locale"] or "de"):
        subject = _("Ihre Meldung ist eingegangen (%(category)s)", category=category_label(clean["category"]))
        body = _("Vielen Dank für Ihre Meldung an %(city)s.\n\nStatus: %(status)s\nHier verfolgen Sie, was "
                 "passiert: %(link)s\n\nSie erhalten eine kurze Nachricht, wenn sich der Status ändert.",
                 city=current_city().name, status=status_label(row["status"]), link=status_link(row["token"]))
    return subject, body


def _send_received_mail(clean: dict, row: dict) -> None:
    """Send the confirmation of a committed report; a mail problem never undoes or hides the stored report."""
    if not clean["email"]:
        return
    try:
        send_mail(clean["email"], *_received_mail(clean, row))
    except Exception:  # noqa: BLE001 - the report is stored; the reporter still has the status link
        log.exception("could not send the confirmation of report %s", row["id"])


def notify_status_change(sender, report: Report, event, **_kw) -> None:
    """Receiver of workflow.status_changed: a short message to the reporter and to reporters of duplicates."""
    recipients = [(report.reporter_email, report.reporter_locale, report.token)] if report.reporter_email else []
    if report.id is not None:
        recipients += db.session.execute(
            select(Report.reporter_email, Report.reporter_locale, Report.token)
            .where(Report.duplicate_of_id == report.id, Report.status == "duplicate",
                   Report.reporter_email.is_not(None))).all()
    for email, locale, token in recipients:
        with force_locale(locale or "de"):
            subject = _("Ihre Meldung: %(status)s", status=status_label(event.to_status))
            body = _("Der Status der Meldung (%(category)s) hat sich geändert: %(status)s.\n\nVerlauf und Fotos: "
                     "%(link)s", category=category_label(report.category), status=status_label(event.to_status),
                     link=status_link(token))
        queue_mail(db.session, email, subject, body)


def purge_reporter_contacts(older_than: timedelta = timedelta(days=90)) -> int:
    """Forget reporters' e-mail addresses of reports finished longer ago than `older_than`; returns how many."""
    cutoff = datetime.now(timezone.utc) - older_than
    result = db.session.execute(text(
        "UPDATE reports SET reporter_email = NULL, reporter_name = NULL, reporter_phone = NULL, "
        "reporter_locale = NULL WHERE closed_at < :cutoff "
        "AND (reporter_email IS NOT NULL OR reporter_name IS NOT NULL OR reporter_phone IS NOT NULL) "
        "AND (status IN ('closed', 'rejected') OR (status = 'duplicate' AND NOT EXISTS ("
        f"  SELECT 1 FROM reports o WHERE o.id = reports.duplicate_of_id AND (o.status IN ({OPEN_SQL}) "
        "   OR o.closed_at IS NULL OR o.closed_at >= :cutoff))))"),
        {"cutoff": cutoff})
    db.session.execute(text("DELETE FROM idempotency_keys WHERE created_at < :c"),
                       {"c": datetime.now(timezone.utc) - timedelta(days=7)})
    return result.rowcount


status_changed.connect(notify_status_change)


def photo_exists(filename: str) -> bool:
    """Whether a stored photo or thumbnail has this file name."""
    return db.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = :h AND (filename = :n OR thumb_filename = :n))"),
        {"h": filename[:64], "n": filename}).scalar()
