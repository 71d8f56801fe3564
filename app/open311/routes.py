"""Open311 GeoReport v2 endpoints under /open311/v2/ (XML by default, JSON with the .json suffix)."""
from flask import current_app, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.open311 import bp
from app.open311.formats import errors_response, respond
from app.services.citizen import open311 as svc
from app.services.core.apikeys import find_active_key

FORMATS = ("xml", "json")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise svc.Open311Error(404, _("Unbekanntes Format '%(fmt)s'; verwenden Sie .xml oder .json.", fmt=fmt))


def _check_jurisdiction() -> None:
    """jurisdiction_id is accepted always and checked when one is configured."""
    configured = current_app.config["OPEN311_JURISDICTION_ID"]
    given = request.values.get("jurisdiction_id")
    if configured and given and given != configured:
        raise svc.Open311Error(404, _("Unbekannte jurisdiction_id '%(given)s'; diese Schnittstelle bedient "
                                      "'%(configured)s'.", given=given, configured=configured))


@bp.errorhandler(svc.Open311Error)
def _open311_error(exc):
    fmt = request.view_args.get("fmt", "xml") if request.view_args else "xml"
    return errors_response(fmt if fmt in FORMATS else "xml", [(exc.status, exc.description)], exc.status)


@bp.before_request
def _before():
    if request.view_args and "fmt" in request.view_args:
        _check_format(request.view_args["fmt"])
    _check_jurisdiction()


@bp.route("/discovery.<fmt>")
def discovery(fmt):
    """Service discovery: where the GeoReport v2 endpoint lives and which formats it speaks."""
    base = request.url_root.rstrip("/") + url_for("open311.services_list", fmt="xml").rsplit("/", 1)[0]
    payload = {
        "changeset": "2026-11-26T00:00:00+00:00",
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"] or _("API-Schlüssel vergibt die Administration "
                                                                      "der Stadt."),
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-26T00:00:00+00:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }
    return respond(fmt, "discovery", None, payload)


@bp.route("/services.<fmt>")
def services_list(fmt):
    """The list of services (report categories)."""
    return respond(fmt, "services", "service", svc.services())


@bp.route("/services/<code>.<fmt>")
def service_definition(code, fmt):
    """The attributes of one service."""
    return respond(fmt, "service_definition", None, svc.service_definition(code))


def _media_url(photo) -> str:
    return url_for("public.media", name=photo.filename, _external=True)


def _as_requests(reports):
    agency = current_app.config["OPEN311_AGENCY"]
    names = svc.service_names()
    return [svc.as_service_request(r, _media_url, agency, names) for r in reports]


@bp.route("/requests.<fmt>", methods=["GET"])
def requests_list(fmt):
    """Service requests by id, code, status and a date window (default and maximum 90 days)."""
    query = svc.parse_query(request.args)
    return respond(fmt, "service_requests", "request", _as_requests(svc.find_requests(query)))


@bp.route("/requests/<request_id>.<fmt>", methods=["GET"])
def request_detail(request_id, fmt):
    """One service request."""
    return respond(fmt, "service_requests", "request", _as_requests([svc.find_request(request_id)]))


@bp.route("/tokens/<token>.<fmt>", methods=["GET"])
def token_lookup(token, fmt):
    """The service_request_id behind a token (our reports are created in real time, so it is always known)."""
    report = svc.find_by_token(token)
    return respond(fmt, "service_requests", "request", [{"service_request_id": str(report.id), "token": token}])


@bp.route("/requests.<fmt>", methods=["POST"])
def create_request(fmt):
    """File a service request through the same validation, snapping and duplicate logic as the citizen API."""
    if find_active_key(request.form.get("api_key")) is None:
        raise svc.Open311Error(403, _("api_key fehlt oder ist ungültig."))
    answer = svc.submit_open311_request(request.form)
    db.session.commit()
    return respond(fmt, "service_requests", "request", [answer])
