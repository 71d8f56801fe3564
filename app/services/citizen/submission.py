"""Storing a report: building snapping, district, duplicate, re-tag, SLA target, audit trail and photos.

`submit_report` is the one use case every client (the web page, the JSON API, Open311) goes through:
plain data in, plain answer out, one transaction, few queries.
"""
import hashlib
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from psycopg.rows import dict_row

from app import autocommit, outage
from app.city import current_city
from app.errors import ValidationFailed
from app.extensions import db
from app.models import OPEN_SQL, OPEN_STATUSES, Confirmation
from app.services.citizen.idempotency import check_key, claim_key, store_answer
from app.services.citizen.notifications import received_mail, send_received_mail
from app.services.citizen.photo_files import StagedPhotos
from app.services.citizen.public import confirmation_count, is_handle, report_by_handle, report_by_token
from app.services.citizen.validation import validate_report
from app.services.core.mail import queue_mail
from app.services.core.sla import removal_target, targets_from_config
from app.services.core.workdays import local_date
from app.services.core.workflow import RETAG_WINDOW

log = logging.getLogger(__name__)

SNAP_METRES = 30.0
DUPLICATE_METRES = 15.0
DUPLICATE_WINDOW = timedelta(days=30)
SUBMIT_ENDPOINT = "POST /api/v1/reports"


def _request_hash(clean: dict, processed: list) -> str:
    payload = {k: clean[k] for k in ("lat", "lon", "category", "description", "email", "offensive")}
    payload["photos"] = [p.sha256 for p in processed]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# -- storing: snapping, district, duplicate, re-tag, SLA target, report, audit trail, photos in one statement ---

# One statement per report (it is benchmarked): the point and its position in the city's metric CRS (stored as
# location_m, so the reports' insert trigger, which fires only WHEN location_m IS NULL, is not called); the
# building whose footprint contains it or the nearest within 30 m (GiST on footprint_m); the district
# (ST_Intersects on geom_m); the oldest open report of the last 30 days on that building, else the nearest within
# 15 m (duplicate_of; partial indexes on open reports); whether the building was cleaned within
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
                       due_at, created_at, updated_at, closed_at, surface, reporter_name, reporter_phone, media_url,
                       api_key_id)
  SELECT %(token)s, %(category)s, %(description)s, %(offensive)s,
         CASE WHEN ctx.duplicate_of IS NULL THEN 'new' ELSE 'duplicate' END, %(source)s, %(email)s, %(locale)s,
         p.w, p.g, ctx.building_id, ctx.district_id, ctx.duplicate_of,
         COALESCE(ctx.address, %(address)s), ctx.retagged,
         CASE ctx.owner_type WHEN 'municipal' THEN %(prio_municipal)s WHEN 'private' THEN %(prio_private)s
              ELSE %(prio_other)s END,
         CASE ctx.owner_type WHEN 'municipal' THEN %(due_municipal)s WHEN 'private' THEN %(due_private)s
              ELSE %(due_other)s END,
         %(now)s, %(now)s, CASE WHEN ctx.duplicate_of IS NULL THEN NULL ELSE %(now)s END,
         %(surface)s, %(reporter_name)s, %(reporter_phone)s, %(media_url)s, %(api_key_id)s
  FROM ctx, p
  RETURNING id, public_id, token, status, duplicate_of_id, reporter_locale),
ev AS (
  INSERT INTO status_events (report_id, from_status, to_status, note, created_at)
  SELECT id, NULL, status, CASE WHEN duplicate_of_id IS NULL THEN NULL ELSE 'duplicate of #' || duplicate_of_id END,
         %(now)s
  FROM ins){{photos}}
SELECT ins.id, ins.public_id, ins.token, ins.status, ins.duplicate_of_id AS duplicate_of, ins.reporter_locale,
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
        "email": clean["email"], "locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]) if clean["email"] else None,
        "address": extra.get("address"), "now": now,
        "prio_municipal": by_owner["municipal"].priority, "due_municipal": by_owner["municipal"].due_at,
        "prio_private": by_owner["private"].priority, "due_private": by_owner["private"].due_at,
        "prio_other": by_owner[None].priority, "due_other": by_owner[None].due_at,
        **{f: extra.get(f) for f in EXTRA_FIELDS if f != "address"},
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

EXTRA_FIELDS = ("surface", "reporter_name", "reporter_phone", "address", "media_url", "api_key_id")


def submit_report(data: dict, photos: list, source: str = "web", idempotency_key: str | None = None,
                  extra: dict | None = None) -> dict:
    """Validate, snap, de-duplicate and store one report with its photos; returns the public answer.

    `data`: lat, lon, category, description, offensive, email (strings or typed values); `photos`: raw
    bytes of each uploaded file. Raises ValidationFailed (nothing stored) on bad input. With an
    `idempotency_key`, a repeated call returns the first answer and stores nothing new. `extra`: further
    already validated report fields from other channels (Open311: surface, reporter name and phone,
    the address string given, a media URL), stored in the same transaction.

    The photo files are staged under temporary names first and published after the commit
    (app.services.citizen.photo_files). A report without a key is then stored by one statement committing
    on its own (app.autocommit); with a key, or inside a caller's transaction, the key, the statement and
    the answer share the session's transaction. The confirmation e-mail goes out once the report is committed.
    """
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    if set(extra) - set(EXTRA_FIELDS):
        raise ValueError(f"unknown extra report fields: {sorted(set(extra) - set(EXTRA_FIELDS))}")
    key = check_key(idempotency_key)
    clean, processed = validate_report(data, photos)
    now = datetime.now(UTC)
    params = _insert_params(clean, source, extra, now, processed)
    staged = StagedPhotos(current_app.config["UPLOAD_DIR"])
    progress = {"step": "staging"}   # then "sent" (the commit, or the statement committing itself), "committed"
    try:
        for p in processed:
            staged.add(p)
        if key is None and autocommit.available():
            with autocommit.connection() as conn:
                progress["step"] = "sent"
                row = _insert_report(conn, params)
            progress["step"] = "committed"
            staged.publish()
            answer = _answer(row, clean, processed, now)
            send_received_mail(clean, row)
        else:
            row, answer = _store_in_session(key, clean, processed, params, now, progress)
            staged.publish()   # after the commit; for a replay, ours make sure the first attempt's are there
    except BaseException as exc:
        if progress["step"] == "sent" and outage.database_unreachable(exc):
            staged.abandon()   # committed or not, nobody knows: a retry with the key, or the sweep, decides
        elif progress["step"] != "committed":
            staged.discard()
        _end_failed_transaction(exc)
        raise
    if row is not None:
        log.debug("report %s stored (building %s, duplicate of %s, %d photos)", answer["id"], row["building_id"],
                  row["duplicate_of"], len(processed))
    return answer


def _store_in_session(key, clean, processed, params, now, progress) -> tuple[dict | None, dict]:
    """Claim the key, insert, record the answer and queue the mail in the session's transaction and commit;
    (None, the first answer) for a key used before (the same request: the same photos)."""
    if key:
        replay = claim_key(key, SUBMIT_ENDPOINT, _request_hash(clean, processed))
        if replay is not None:
            db.session.rollback()
            progress["step"] = "committed"   # the first attempt's rows reference the same files
            return None, replay[1]
    row = _insert_report(_raw_connection(), params)
    answer = _answer(row, clean, processed, now)
    if key:
        store_answer(key, SUBMIT_ENDPOINT, 201, answer)
    if clean["email"]:
        queue_mail(db.session, clean["email"], *received_mail(clean, row))
    progress["step"] = "sent"
    db.session.commit()
    progress["step"] = "committed"
    return row, answer


def _end_failed_transaction(exc: BaseException) -> None:
    """Roll the session back after a failure; a connection that failed under the session is dropped, not
    reset (resetting a dead connection raises, and would hide the first error)."""
    try:
        if outage.database_unreachable(exc) and db.session.registry.has() and db.session().in_transaction():
            db.session.connection().invalidate()
        db.session.rollback()
    except Exception as second:  # noqa: BLE001 - the first error is the one to report
        log.debug("rollback after a failure failed too: %s", outage.describe(second))


def _answer(row: dict, clean: dict, processed: list, now: datetime) -> dict:
    return {
        "id": row["id"], "public_id": row["public_id"], "token": row["token"], "status": row["status"],
        "building": None if row["building_id"] is None else {
            "id": row["building_id"], "address": row["b_address"], "name": row["b_name"],
            "owner_type": row["owner_type"]},
        "duplicate_of": row["duplicate_of"], "location": {"lat": clean["lat"], "lon": clean["lon"]},
        "location_source": clean["location_source"], "photos": len(processed),
        "created_at": now.isoformat(), "status_url": f"/r/{row['token']}",
    }


def confirm_report(token: str, idempotency_key: str | None = None) -> dict | None:
    """Add "I see it too" to an open report, named by its status token or by a confirmation handle from
    "nearby"; None when unknown. A handle's answer does not contain the status token."""
    key = check_key(idempotency_key)
    by_handle = is_handle(token)
    report = report_by_handle(token) if by_handle else report_by_token(token)
    if report is None:
        return None
    endpoint = "POST /api/v1/reports/confirm"
    try:
        if key:
            replay = claim_key(key, endpoint, hashlib.sha256(token.encode()).hexdigest())
            if replay is not None:
                db.session.rollback()
                return replay[1]
        if report.status not in OPEN_STATUSES:
            raise ValidationFailed([("token", _("Diese Meldung ist bereits abgeschlossen. Bitte senden Sie eine "
                                                "neue Meldung, falls der Schaden noch da ist."))], 409)
        db.session.add(Confirmation(report_id=report.id))
        db.session.flush()
        answer = {"status": report.status, "confirmations": confirmation_count(report.id),
                  **({"handle": token} if by_handle else {"token": report.token})}
        if key:
            store_answer(key, endpoint, 200, answer)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return answer
