"""Web glue: what every request gets before a view sees it, and what every view does the same way.

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

from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from . import permissions as perm
from .audit import Origin
from .extensions import db
from .ids import row_id
from .models import Case
from .refusals import InvalidInput, WorkflowError
from .text import clean_or_none

T = TypeVar("T")


class CleanParameters(ImmutableMultiDict):
    """request.args / request.form with every name and text value cleaned; uploaded files pass unchanged."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True) if isinstance(mapping, Mapping) else mapping or ()
        super().__init__([(clean_or_none(name), clean_or_none(value)) for name, value in pairs])


class CleanRequest(Request):
    parameter_storage_class = CleanParameters

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH; for a view marked takes_uploads, room for its files besides (upload_limit). Read
        when the body is parsed, whoever parses it first (the CSRF check does, before the view)."""
        if self._max_content_length is None and current_app and _takes_uploads(self.endpoint):
            return upload_limit(current_app.config)
        return Request.max_content_length.fget(self)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)


def takes_uploads(view: Callable) -> Callable:
    """Marks a view whose forms carry files: its requests may be as large as upload_limit, no other's."""
    view.takes_uploads = True
    return view


def _takes_uploads(endpoint: str | None) -> bool:
    return getattr(current_app.view_functions.get(endpoint or ""), "takes_uploads", False)


def upload_limit(config) -> int:
    """The most a request with files may carry: UPLOAD_MAX_FILES photos and an agreement of UPLOAD_MAX_BYTES
    each, and the form's text. One file over UPLOAD_MAX_BYTES is refused at its field by the attachments service,
    which reads at most that much of it; only a request past this limit is the 413 page."""
    return config["MAX_CONTENT_LENGTH"] + (config["UPLOAD_MAX_FILES"] + 1) * config["UPLOAD_MAX_BYTES"]


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
    if not _is_static_file(response):  # an attachment says private too: kept by no proxy, as by no browser
        response.headers["Cache-Control"] = "private, no-store" if response.cache_control.private else "no-store"
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
    """Where this request comes from, for the login audit."""
    return Origin.of_request(request)


HOME_BY_ROLE = {"dispatcher": "cases.queue", "cadre": "cases.mine", "leader": "stats.dashboard", "admin": "admin.users"}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks, no control character."""
    if not target:
        return None
    target = target.strip()
    if not target.isprintable():  # a line break cannot go in a Location header; browsers drop tabs from URLs
        return None
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def home_url(user) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "cases.mine"))


# --- what views share: a row from the URL, a refusal on its form, the one commit of a request ---------


def row_or_none(model, value):
    """The row of `model` an id from the URL or a form names, or None: an impossible id never reaches the database."""
    return db.session.get(model, id_) if (id_ := row_id(value)) else None


def row_or_404(model, value):
    """As row_or_none, but a missing row is the 404 page."""
    row = row_or_none(model, value)
    if row is None:
        abort(404)
    return row


def visible_case_or_404(case_id) -> Case:
    """The case, if the logged-in user may see it; else 404, so that nobody learns which numbers exist."""
    case = row_or_none(Case, case_id)
    if case is None or not perm.can_view(current_user, case):
        abort(404)
    return case


def chosen_row(model, value, field: str, refusal: str):
    """The row a form's select chose, None when it chose none ("—", 0); an id that names no row is refused
    at its field with `refusal` (an N_ message), never dropped unseen."""
    if not value:
        return None
    row = row_or_none(model, value)
    if row is None:
        raise InvalidInput(refusal, field)
    return row


def attach_refusal(form, exc: WorkflowError, default: str | None = None) -> None:
    """A service's refusal shown where the user looks: at the field it names (at `default` when the form has
    no such field), else at the top of the form. A refusal that lists its problems (`exc.problems`, each a
    field and a message: a corrected intake row) shows each at its own field."""
    problems = getattr(exc, "problems", None)
    if problems:
        attach_problems(form, problems)
    else:
        _attach(form, exc.field, exc.text(), default)


def attach_problems(form, problems) -> None:
    """Each problem (a field and an English msgid) under its field, translated; one without a field above the form."""
    for problem in problems:
        _attach(form, problem.field, gettext(problem.message))


def _attach(form, name: str | None, text: str, default: str | None = None) -> None:
    field = _field_named(form, name) if name else None
    if field is None and default:
        field = _field_named(form, default)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, text]  # a tuple until the form is validated
    else:
        form.form_errors.append(text)


def _field_named(form, name: str):
    """The form's field of that name, also a field of a row in a list of rows (holidays-3-first); or None."""
    for field in form:
        if field.name == name or field.short_name == name:
            return field
        for row in getattr(field, "entries", ()):
            for leaf in getattr(row, "form", [row]):
                if leaf.name == name:
                    return leaf
    return None


def page(template: str, **context) -> Callable:
    """A (form, status) -> (html, status) renderer of `template` with `context`."""
    return lambda form, status: (render_template(template, form=form, **context), status)


def run(call: Callable[[], T], keep_refused: bool = False) -> T:
    """Call, commit, return the result; on WorkflowError roll back (or commit, with `keep_refused`) and
    re-raise. Keeping is for a failed login or a wrong code, which stays recorded for the throttle to count
    (those services write nothing else when they refuse)."""
    try:
        result = call()
        db.session.commit()
    except WorkflowError:
        if keep_refused:
            db.session.commit()
        else:
            db.session.rollback()
        raise
    return result


def submit(
    form,
    render: Callable,
    action: Callable,
    done: str | Callable[[], str],
    refused: Callable | None = None,
    keep_refused: bool = False,
):
    """A form's request, whole: GET shows the form. POST parses it, calls one service (`action(form)`, which
    returns the messages to flash as (category, text) pairs), commits once (run) and redirects to `done` (or
    where it says once the service has run); refused input is shown again at its field with the typing kept,
    at the refusal's status (4xx), unless `refused(exc)` answers the refusal itself (it returns None when it
    does not)."""
    if request.method == "GET":
        return render(form, 200)
    if not form.validate():
        return render(form, 422)
    try:
        messages = run(lambda: action(form), keep_refused)
    except WorkflowError as exc:
        if refused is not None and (answer := refused(exc)) is not None:
            return answer
        attach_refusal(form, exc)
        return render(form, exc.status)
    _flash(messages)
    return redirect(done() if callable(done) else done)


def press(form, action: Callable, done: str):
    """A button's request (a form with only its CSRF token, no page of its own): the form checked (else 400),
    one service called and committed (run), its messages flashed, then `done`; a refusal, nothing written, is
    flashed as an error on the way to `done`."""

    def refused(exc: WorkflowError):
        _flash([("error", exc.text())])
        return redirect(done)

    return submit(form, lambda _form, _status: abort(400), action, done, refused=refused)


def _flash(messages) -> None:
    for category, message in messages or ():
        flash(message, category)
