"""Web glue: what every request gets before a view sees it.

Every form field and query parameter is cleaned once, here, exactly as intake cleans what the platform
sends (casework.text.clean): a NUL that PostgreSQL refuses, a control character, a carriage return.
Werkzeug builds `request.args` and `request.form` (and `request.files`' keys) through the request's
`parameter_storage_class`, so one class covers every view, form and query string, present and future,
and no view has to remember to clean.

Every answer is guarded (issue 9): a policy that runs only our own script and style files and lets no
other site frame a page, nosniff, no address sent to other sites, and, but for the static files, no copy
kept by a browser or a proxy: case pages and downloads carry callers' names and phone numbers.
Behind nginx, ProxyFix believes the X-Forwarded-* headers of CASEWORK_PROXY_HOPS proxies, and no more.
"""

from collections.abc import Mapping

from flask import Flask, Request, Response, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from .audit import Origin
from .text import clean_or_none


class CleanParameters(ImmutableMultiDict):
    """request.args / request.form with every name and text value cleaned; uploaded files pass unchanged."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True) if isinstance(mapping, Mapping) else mapping or ()
        super().__init__([(clean_or_none(name), clean_or_none(value)) for name, value in pairs])


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


# No inline script, style or handler anywhere (tests/test_security_headers.py scans the templates and a
# real Chromium loads pages under this policy in tests/test_csp_browser.py).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
GUARDS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest
    app.after_request(guard)
    _secure_cookies(app)
    if app.config.get("PROXY_HOPS"):
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def guard(response: Response) -> Response:
    """Every answer, an error page's too, carries GUARDS; every answer but a static file is not to be kept
    (a static file keeps Flask's caching: it holds nobody's data; a missing one is our error page, which
    names who is logged in)."""
    response.headers.update(GUARDS)
    if not _is_static_file(response):
        response.headers["Cache-Control"] = "no-store"
    return response


def _is_static_file(response: Response) -> bool:
    endpoint = request.endpoint or ""
    return endpoint.rpartition(".")[2] == "static" and response.status_code < 400


def _secure_cookies(app: Flask) -> None:
    """CASEWORK_SECURE_COOKIES: the session cookie (and Flask-Login's remember cookie) only over HTTPS.
    Set through Flask's own SESSION_COOKIE_* settings, which any session interface reads."""
    if app.config.get("SECURE_COOKIES"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", app.config.get("SESSION_COOKIE_SAMESITE"))


def origin() -> Origin:
    """Where this request comes from, for the login audit (request.remote_addr is the client's address once
    ProxyFix trusts the proxy in front, see docs/deployment.md)."""
    return Origin.of(request.remote_addr, request.user_agent.string)
