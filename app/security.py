"""Security headers on every response: a Content Security Policy with a fresh nonce per request, no framing by
other sites, no MIME sniffing, no referrer to other sites, HSTS over HTTPS.

Scripts run only from this host or, inline, with the request's nonce: the templates load their scripts from
`static/`, and the folium map documents (whose inline scripts folium writes) get the nonce through
`html_document`. Styles may be inline (folium and Leaflet set style attributes; they cannot carry a nonce).
Map tiles come from OpenStreetMap's tile server.
"""
import re
import secrets

from flask import Flask, Response, current_app, g, has_request_context, request, url_for

TILE_ORIGINS = "https://tile.openstreetmap.org"
HSTS_SECONDS = 365 * 24 * 3600


def csp_nonce() -> str:
    """This request's script nonce (one per request, made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """The policy sent with every response."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob: {TILE_ORIGINS}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


# folium writes its inline scripts as a bare "<script>"; user text inside the document is escaped, so no
# other bare tag can come from a report or a tag name.
_BARE_SCRIPT = re.compile(r"<script>")


def sign_scripts(html_doc: str) -> str:
    """A generated HTML document (a folium map) with its own inline scripts carrying this request's nonce (also
    for a document shown in an `<iframe srcdoc>`, which runs under the page's policy)."""
    return _BARE_SCRIPT.sub(f'<script nonce="{csp_nonce()}">', html_doc)


def html_document(html_doc: str) -> Response:
    """The response of a generated HTML document, its inline scripts signed."""
    return Response(sign_scripts(html_doc), mimetype="text/html")


def public_base() -> str:
    """Where links that leave the service point: PUBLIC_BASE_URL, else the address this request came to (its host
    checked against TRUSTED_HOSTS), else nothing (a relative link)."""
    base = current_app.config["PUBLIC_BASE_URL"] or (request.host_url if has_request_context() else "")
    return base.rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` for e-mails, Open311 answers and exports."""
    return public_base() + url_for(endpoint, **values)


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    h.setdefault("X-Frame-Options", "SAMEORIGIN")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:  # behind a proxy: X-Forwarded-Proto through PROXY_HOPS
        h.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    return response


def init_app(app: Flask) -> None:
    """Send the headers with every response, and offer `csp_nonce()` to templates."""
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
