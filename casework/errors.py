"""Error pages: every refusal is a 4xx with a clear message, never a 500 for bad input."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db, login_manager
from .workflow import WorkflowError

NOT_KEPT = {"csrf_token", "password", "next"}


def init_app(app) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(exc: WorkflowError):
        db.session.rollback()
        return render_template("errors/error.html", status=exc.status, message=exc.text()), exc.status

    app.register_error_handler(CSRFError, lambda exc: session_ended(400))
    login_manager.unauthorized_handler(_unauthorized)
    for status in (400, 403, 404, 405, 409, 413, 422, 500):
        app.register_error_handler(status, _page(status))


def _unauthorized():
    """Not logged in: a page is sent to the login form; a form posted after the session ended keeps its text."""
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return session_ended(401)


def session_ended(status: int):
    """The session ended (logged out, browser closed, the page open for days): what was typed is shown
    back, so that nothing is lost, with a way to log in and return to the page it came from."""
    typed = [(name, value) for name, value in request.form.items(multi=True) if _kept(name, value)]
    back = _same_site_path(request.referrer) or url_for("auth.index")
    message = _("Your session has ended, so this was not saved. Log in again and submit it once more.")
    return render_template("errors/session.html", status=status, message=message, typed=typed, back=back), status


def _kept(name: str, value: str) -> bool:
    short = name.rsplit("-", 1)[-1]
    return short not in NOT_KEPT and not short.endswith("version") and bool(value.strip())


def _same_site_path(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    from .auth.routes import safe_next

    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _page(status: int):
    def handler(exc):
        if status == 500:
            db.session.rollback()
        message = getattr(exc, "description", None) if status != 500 else None
        return render_template("errors/error.html", status=status, message=message), status

    return handler
