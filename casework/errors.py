"""Error pages: every refusal is a 4xx with a clear message in the reader's language, never a 500 for bad input."""

from functools import partial
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, Form
from wtforms.fields import SelectFieldBase
from wtforms.fields.core import UnboundField

from .cases.forms import ACTION_FORMS
from .extensions import db, discard_changes, lock_timed_out, login_manager
from .refusals import N_, WorkflowError
from .web import safe_next

NOT_KEPT = {"csrf_token", "password", "next"}
# Our own words for every status handled: Werkzeug's descriptions are English whatever the reader reads.
MESSAGES = {
    400: N_("The request could not be understood. Reload the page and try again."),
    403: N_("You may not do this."),
    404: N_("There is no such page, or it is not yours to see."),
    405: N_("This address cannot be used that way. Go back, reload the page and use its buttons."),
    409: N_("This was changed meanwhile. Reload the page to see it as it is now, then try again."),
    413: N_("What was sent is too large. Shorten it and send it again."),
    422: N_("Some of what was entered cannot be accepted. Go back, correct it and try again."),
    500: N_("Something went wrong on our side. Your change was not saved; please try again."),
}
FILE_TOO_LARGE = N_("The file is too large: at most %(limit)s can be uploaded.")
TEXT_TOO_LARGE = N_("What was sent is too large: at most %(limit)s. Shorten the text and send it again.")
BUSY = N_(
    "The system is busy with other work at this moment, so nothing was changed. Wait a few seconds and try again."
)
UNAVAILABLE = N_(
    "The database cannot be reached at the moment, so nothing was changed. "
    "Try again in a few minutes; if it goes on, tell the administrator."
)


def init_app(app) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(exc: WorkflowError):
        db.session.rollback()
        return render_template("errors/error.html", status=exc.status, message=exc.text()), exc.status

    app.register_error_handler(CSRFError, lambda exc: session_ended(400))
    app.register_error_handler(StaleDataError, _changed_meanwhile)
    for failure in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(failure, _database_failed)
    login_manager.unauthorized_handler(_unauthorized)
    for status in MESSAGES:
        app.register_error_handler(status, _page(status))


def _unauthorized():
    """Not logged in: a page is sent to the login form; a form posted after the session ended keeps its text."""
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return session_ended(401)


def session_ended(status: int):
    """The session ended (logged out, browser closed, the page open for days): what was typed is shown
    back under its field's label, so that nothing is lost, with a way to log in and return to the page."""
    back = _same_site_path(request.referrer) or url_for("auth.index")
    message = _("Your session has ended, so this was not saved. Log in again and submit it once more.")
    return render_template("errors/session.html", status=status, message=message, typed=_typed(), back=back), status


def _changed_meanwhile(exc: StaleDataError):
    """A version conflict that no service told as StaleCase (met by an autoflush or at a commit): the same
    409 as any change made meanwhile, with what was typed shown back, never a 500."""
    discard_changes()
    return _error_page(409, _(MESSAGES[409]), typed=_typed())


def _database_failed(exc: SQLAlchemyError):
    """The database is busy (a lock waited for past DATABASE_BUSY_TIMEOUT, a deadlock) or cannot be
    reached: 503 with what was typed shown back, never a 500. The page asks the database nothing, not
    even who is logged in, as the database may be what failed."""
    busy = lock_timed_out(exc)
    current_app.logger.warning("database %s: %s", "busy" if busy else "unavailable", exc)
    discard_changes()
    headers = {"Retry-After": "5" if busy else "60"}
    return _error_page(503, _(BUSY if busy else UNAVAILABLE), headers, _typed(), database_failed=True)


def _typed() -> list[tuple[str, str]]:
    """What the person typed in the form posted, under its field's label, to copy back."""
    return [(_label(name), value) for name, value in request.form.items(multi=True) if _kept(name, value)]


def _error_page(status: int, message: str, headers=None, typed=(), database_failed: bool = False):
    """The error page. Drawing it asks who is logged in (the menu), which reads the database: when that
    failed or fails now, it is drawn for nobody logged in, without the menu, never a bare 500 in English."""
    page = partial(render_template, "errors/error.html", status=status, message=message, typed=typed)
    if database_failed:
        _as_nobody()
    try:
        return page(), status, headers or {}
    except SQLAlchemyError:
        discard_changes()
        _as_nobody()
        return page(), status, headers or {}


def _as_nobody() -> None:
    """This request's user is taken as nobody logged in, without asking the database (Flask-Login keeps
    the loaded user in g._login_user and loads it from the database when it is missing)."""
    g._login_user = login_manager.anonymous_user()


def _kept(name: str, value: str) -> bool:
    """Text the person typed; not secrets, hidden bookkeeping, or a choice (its value is an id or a code)."""
    short = name.rsplit("-", 1)[-1]
    if short in NOT_KEPT or short.endswith("version") or not value.strip():
        return False
    field = _field(name)
    return field is None or not issubclass(field.field_class, SelectFieldBase | BooleanField)


def _label(name: str) -> str:
    """A posted field's label in the reader's language ("resolve-result" -> 办理结果); the name if no form has it."""
    field = _field(name)
    label = (field.args[0] if field.args else field.kwargs.get("label")) if field else None
    return str(label) if label else name


def _field(name: str) -> UnboundField | None:
    """The field a posted name belongs to: in the case action its prefix names, else in the forms of the
    page's blueprint, else in any form of ours ("content" is the dispute's summary on /disputes/new)."""
    prefix, _dash, short = name.rpartition("-")
    for form in [*ACTION_FORMS.get(prefix, {}).values(), *_our_forms(request.blueprint)]:
        field = getattr(form, short, None)
        if isinstance(field, UnboundField):
            return field
    return None


def _our_forms(blueprint: str | None) -> list[type[Form]]:
    """Every form class of Casework, those of the blueprint first."""
    found, todo = [], [Form]
    while todo:
        cls = todo.pop(0)
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("casework."):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.__module__ != f"casework.{blueprint}.forms")


def _same_site_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _page(status: int):
    def handler(exc):
        if status == 500:
            discard_changes()
        allow = getattr(exc, "valid_methods", None)  # a 405 names the methods the address takes
        headers = {"Allow": ", ".join(allow)} if allow else {}
        return _error_page(status, _message(exc, status), headers)

    return handler


def _message(exc, status: int) -> str:
    """A message our code gave (`abort(400, description=...)`) is kept; otherwise our words for the status."""
    own = getattr(exc, "description", None)
    if status != 500 and isinstance(exc, HTTPException) and own and own != type(exc).description:
        return own
    if status == 413:
        return _too_large()
    return _(MESSAGES[status])


def _too_large() -> str:
    """413: the request over MAX_CONTENT_LENGTH (a file, when uploading), or a text part of a multipart
    form over MAX_FORM_MEMORY_SIZE; the message names the limit."""
    total, length = request.max_content_length, request.content_length
    multipart = request.mimetype == "multipart/form-data"
    if total is not None and (length is None or length > total):
        return _(FILE_TOO_LARGE if multipart else TEXT_TOO_LARGE, limit=_size(total))
    if multipart and request.max_form_memory_size is not None:
        return _(TEXT_TOO_LARGE, limit=_size(request.max_form_memory_size))
    return _(MESSAGES[413])


def _size(n: int) -> str:
    """A byte count as people write it, rounded down so that a limit is never overstated: 500 KB, 16.7 MB."""
    for unit, size in (("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            return f"{n * 10 // size / 10:g} {unit}"
    return f"{n} B"
