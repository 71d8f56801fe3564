"""Citizen report API: submit, follow, find nearby, confirm, and the public map layer.

A public JSON API (no account, no CSRF token): the report page itself uses it through fetch.
"""
from flask import abort, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.errors import ValidationFailed
from app.extensions import csrf
from app.ratelimit import limited
from app.services.citizen import places, public, submission, validation

FILE_FIELD = "photos"


def _payload() -> tuple[dict, list[bytes]]:
    """Form fields and the raw bytes of each photo (multipart); JSON bodies carry fields only."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValidationFailed([(None, _("Der Inhalt ist kein gültiges JSON-Objekt."))])
        return data, []
    unknown = sorted(k for k in request.files if k != FILE_FIELD)
    if unknown:
        raise ValidationFailed([(unknown[0], _("Unbekanntes Dateifeld. Fotos bitte im Feld „%(field)s“ senden.",
                                               field=FILE_FIELD))])
    files = [f for f in request.files.getlist(FILE_FIELD) if f.filename or f.content_length]
    if len(files) > validation.MAX_PHOTOS:
        raise ValidationFailed([(FILE_FIELD, _("Höchstens %(n)d Fotos pro Meldung (gesendet: %(sent)d).",
                                               n=validation.MAX_PHOTOS, sent=len(files)))])
    limit = validation.max_photo_bytes()
    photos = []
    for f in files:
        raw = f.stream.read(limit + 1)  # over the limit is reported by the service, without reading on
        photos.append(raw)
    return request.form.to_dict(), photos


@bp.post("/reports")
@csrf.exempt
@limited
def create_report():
    """Submit a report (multipart/form-data); 201 with id, token, status, building and duplicate_of."""
    data, photos = _payload()
    source = "web" if request.headers.get("X-Report-Client") == "web" else "api"
    answer = submission.submit_report(data, photos, source=source,
                                   idempotency_key=request.headers.get("Idempotency-Key"))
    resp = jsonify(answer)
    resp.status_code = 201
    resp.headers["Location"] = f"/api/v1/reports/{answer['token']}"
    return resp


@bp.get("/reports/nearby")
def nearby():
    """Open reports within 50 m of lat/lon, nearest first."""
    return jsonify({"reports": public.nearby_reports(request.args), "radius_m": public.NEARBY_METRES})


@bp.get("/reports/<token>")
def report_status(token):
    """The public status of a report and its history; no personal data."""
    answer = public.public_status(token)
    if answer is None:
        abort(404, description=_("Keine Meldung mit diesem Link gefunden."))
    return jsonify(answer)


@bp.post("/reports/<token>/confirm")
@csrf.exempt
@limited
def confirm(token):
    """Add "I see it too" to an open report."""
    answer = submission.confirm_report(token, idempotency_key=request.headers.get("Idempotency-Key"))
    if answer is None:
        abort(404, description=_("Keine Meldung mit diesem Link gefunden."))
    return jsonify(answer)


@bp.get("/reports")
def reports_geojson():
    """GeoJSON FeatureCollection of reports in ?bbox=minlon,minlat,maxlon,maxlat (approximate positions)."""
    resp = jsonify(public.map_features(validation.parse_bbox(request.args.get("bbox"))))
    resp.mimetype = "application/geo+json"
    return resp


@bp.get("/addresses")
def addresses():
    """Address search over places, streets and buildings (?q=, at least 3 characters) for placing the pin."""
    return jsonify({"results": places.search_places(request.args.get("q", ""))})
