"""Rejected rows screen (dispatchers): the rows intake could not import, corrected and re-imported or dismissed."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import ids
from .. import permissions as perm
from ..extensions import db
from ..models import RejectedRow
from ..refusals import WorkflowError
from . import inbox, rejected
from .forms import FIELD_LABELS, DismissForm, RejectedRowForm
from .normalize import FIELDS

bp = Blueprint("intake", __name__, url_prefix="/intake")
REFUSED_FILES_SHOWN = 20  # the newest; the rest stay in the folder, counted


@bp.before_request
@login_required
def dispatchers_only():
    if not perm.is_dispatcher(current_user):
        abort(403)


def _row_or_404(row_id: int) -> RejectedRow:
    row = db.session.get(RejectedRow, row_id) if ids.row_id(row_id) else None
    if row is None:
        abort(404)
    return row


@bp.get("/rejected")
def rejected_list():
    """The open rows to correct or dismiss, under the files that could not be read at all (first page);
    with ?show=decided, the rows already dealt with, by whom and when."""
    after = ids.row_id(request.args.get("after"))  # a damaged cursor shows the first page
    decided = request.args.get("show") == "decided"
    limit = current_app.config["PAGE_SIZE"]
    rows = (rejected.decided_rows if decided else rejected.open_rows)(after, limit)
    older = rows[-1].id if len(rows) == limit else None
    files, files_total = ([], 0) if decided or after else inbox.refused_files(REFUSED_FILES_SHOWN)
    return render_template(
        "intake/rejected.html",
        rows=rows,
        decided=decided,
        total=rejected.count_open(),
        older=older,
        fields=FIELDS,
        labels=FIELD_LABELS,
        dismiss=DismissForm(),
        refused_files=files,
        refused_total=files_total,
    )


@bp.get("/rejected/<int:row_id>")
def rejected_edit(row_id: int):
    row = _row_or_404(row_id)
    if row.status != "open":
        flash(_("This row has already been re-imported or dismissed."), "error")
        return redirect(url_for("intake.rejected_list"))
    form = RejectedRowForm(formdata=None, data=row.raw)
    _attach(form, rejected.problems_of(row.raw))
    return render_template("intake/rejected_edit.html", row=row, form=form, dismiss=DismissForm())


@bp.post("/rejected/<int:row_id>")
def rejected_reimport(row_id: int):
    """Re-import the corrected row; a refusal shows the form again with the reasons and the typing kept."""
    row = _row_or_404(row_id)
    form = RejectedRowForm()
    if not form.validate():
        return render_template("intake/rejected_edit.html", row=row, form=form, dismiss=DismissForm()), 422
    try:
        case_id = rejected.reimport(row, {name: form[name].data for name in FIELDS}, current_user)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        _attach(form, getattr(exc, "problems", None) or [exc])
        return render_template("intake/rejected_edit.html", row=row, form=form, dismiss=DismissForm()), exc.status
    flash(_("Imported."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/rejected/<int:row_id>/dismiss")
def rejected_dismiss(row_id: int):
    row = _row_or_404(row_id)
    if not DismissForm().validate():
        abort(400)
    try:
        rejected.dismiss(row, current_user)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.text(), "error")
        return redirect(url_for("intake.rejected_list"))
    flash(_("Dismissed."), "success")
    return redirect(url_for("intake.rejected_list"))


def _attach(form, problems) -> None:
    """Each problem's message under its field (translated); one without a field goes above the form."""
    for problem in problems:
        message = _(problem.message, **getattr(problem, "params", {}))
        field = getattr(form, problem.field or "", None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
