"""Error pages: every refusal is a 4xx with a clear message, never a 500 for bad input."""

from flask import render_template

from .extensions import db
from .workflow import WorkflowError


def init_app(app) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(exc: WorkflowError):
        db.session.rollback()
        return render_template("errors/error.html", status=exc.status, message=exc.text()), exc.status

    for status in (400, 403, 404, 405, 409, 413, 422, 500):
        app.register_error_handler(status, _page(status))


def _page(status: int):
    def handler(exc):
        if status == 500:
            db.session.rollback()
        message = getattr(exc, "description", None) if status != 500 else None
        return render_template("errors/error.html", status=status, message=message), status

    return handler
