"""Open311 GeoReport v2 endpoints under /open311/v2/ (XML by default, JSON with the .json suffix)."""
from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _

from app.api.openapi_open311 import build_open311_document
from app.extensions import db
from app.open311 import bp
from app.open311.formats import errors_response, respond, w3c_datetime
from app.ratelimit import seconds_over_limit, too_many_message
from app.security import public_base, public_url
from app.services.citizen import open311 as svc
from app.services.citizen import open311_updates as updates
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
                                      "'%(configured)s'.", given=given[:100], configured=configured))


@bp.errorhandler(svc.Open311Error)
def _open311_error(exc):
    fmt = request.view_args.get("fmt", "xml") if request.view_args else "xml"
    resp = errors_response(fmt if fmt in FORMATS else "xml", [(exc.status, exc.description)], exc.status)
    resp.headers.extend(exc.headers)
    return resp


@bp.before_request
def _before():
    if request.view_args and "fmt" in request.view_args:
        _check_format(request.view_args["fmt"])
    svc.reject_nul(request.args)
    _check_jurisdiction()


def _client_key():
    """The active API key sent with the request, else a 403."""
    key = find_active_key(request.values.get("api_key"))
    if key is None:
        raise svc.Open311Error(403, _("api_key fehlt oder ist ungültig."))
    return key


def _count_towards_rate_limit() -> None:
    """Filing through Open311 counts towards the same per-address limit as the web form and the API."""
    wait = seconds_over_limit()
    if wait:
        raise svc.Open311Error(429, too_many_message(wait), headers={"Retry-After": str(int(wait) + 1)})


@bp.route("/discovery.<fmt>")
def discovery(fmt):
    """Service discovery: where the GeoReport v2 endpoint lives (with its trailing slash, so that clients can
    append `services.xml`) and which formats it speaks."""
    base = public_base() + url_for("open311.services_list", fmt="xml").rsplit("/", 1)[0] + "/"
    payload = {
        "changeset": "2026-11-30T00:00:00+00:00",
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"] or _("API-Schlüssel vergibt die Administration "
                                                                      "der Stadt."),
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-30T00:00:00+00:00", "type": "production",
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
    return public_url("public.media", name=photo.filename)


def _as_requests(rows):
    agency = current_app.config["OPEN311_AGENCY"]
    names = svc.service_names()
    return [svc.as_service_request(r, _media_url, agency, names) for r in rows]


def limited_list(fmt, root, item, entries, limit, next_end):
    """Answer a list of at most `limit` entries (`entries` may hold one more: the limit was hit). When hit, the
    headers say so (the same in JSON and XML: `X-Open311-Limit`, `X-Open311-Truncated: true`) and a `Link`
    with rel="next" asks for the older rest: the same query with `end_date` = `next_end(last entry)`."""
    truncated = len(entries) > limit
    resp = respond(fmt, root, item, entries[:limit])
    resp.headers["X-Open311-Limit"] = str(limit)
    resp.headers["X-Open311-Truncated"] = "true" if truncated else "false"
    if truncated:
        args = {k: v for k, v in request.args.items() if k not in ("end_date", "api_key")}
        args["end_date"] = w3c_datetime(next_end(entries[limit - 1]))
        url = public_url(request.endpoint, **request.view_args, **args)
        resp.headers["Link"] = f'<{url}>; rel="next"'
    return resp


@bp.route("/requests.<fmt>", methods=["GET"])
def requests_list(fmt):
    """Service requests by id, code, status and a date window (default and maximum 90 days)."""
    query = svc.parse_query(request.args)
    rows = svc.find_requests(query)
    return limited_list(fmt, "service_requests", "request", _as_requests(rows), svc.MAX_RESULTS,
                        lambda entry: svc.next_page_end(entry["requested_datetime"]))


@bp.route("/requests/<request_id>.<fmt>", methods=["GET"])
def request_detail(request_id, fmt):
    """One service request."""
    return respond(fmt, "service_requests", "request", _as_requests([svc.find_request(request_id)]))


@bp.route("/tokens/<token>.<fmt>", methods=["GET"])
def token_lookup(token, fmt):
    """The service_request_id behind a token (our reports are created in real time, so it is always known)."""
    report = svc.find_by_token(token)
    return respond(fmt, "service_requests", "request", [{"service_request_id": report.public_id, "token": token}])


@bp.route("/requests.<fmt>", methods=["POST"])
def create_request(fmt):
    """File a service request through the same validation, snapping and duplicate logic as the citizen API."""
    svc.reject_nul(request.form)
    _count_towards_rate_limit()
    key = _client_key()
    answer = svc.submit_open311_request(request.form, api_key_id=key.id)
    db.session.commit()
    return respond(fmt, "service_requests", "request", [answer])


@bp.route("/servicerequestupdates.<fmt>", methods=["GET"])
def updates_list(fmt):
    """FixMyStreet's extension: the status changes and public messages on this client's reports."""
    key = _client_key()
    return limited_list(fmt, "service_request_updates", "request_update", updates.find_updates(key.id, request.args),
                        svc.MAX_RESULTS, lambda entry: svc.next_page_end(entry["updated_datetime"]))


@bp.route("/servicerequestupdates.<fmt>", methods=["POST"])
def post_update(fmt):
    """FixMyStreet's extension: a comment from the client on its report, kept for staff (never published)."""
    svc.reject_nul(request.form)
    _count_towards_rate_limit()
    key = _client_key()
    answer = updates.post_update(key.id, request.form)
    db.session.commit()
    return respond(fmt, "service_request_updates", "request_update", [answer])


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this interface."""
    return jsonify(build_open311_document(current_app.extensions["city"].name))
