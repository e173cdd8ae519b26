"""Rejected rows screen (dispatchers): the rows intake could not import, corrected and re-imported or dismissed."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import ids, web
from .. import permissions as perm
from ..models import RejectedRow
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
        refused_files=files,
        refused_total=files_total,
    )


@bp.get("/rejected/<int:row_id>")
def rejected_edit(row_id: int):
    row = web.row_or_404(RejectedRow, row_id)
    if row.status != "open":
        flash(_("This row has already been re-imported or dismissed."), "error")
        return redirect(url_for("intake.rejected_list"))
    form = RejectedRowForm(formdata=None, data=row.raw)
    web.attach_problems(form, rejected.problems_of(row.raw))
    return _edit_page(row)(form, 200)


@bp.post("/rejected/<int:row_id>")
def rejected_reimport(row_id: int):
    """Re-import the corrected row; a refusal shows the form again with the reasons and the typing kept."""
    row = web.row_or_404(RejectedRow, row_id)
    case_id = None

    def reimport(form):
        nonlocal case_id
        case_id = rejected.reimport(row, {name: form[name].data for name in FIELDS}, current_user)
        return [("success", _("Imported."))]

    return web.submit(RejectedRowForm(), _edit_page(row), reimport, lambda: url_for("cases.show", case_id=case_id))


@bp.post("/rejected/<int:row_id>/dismiss")
def rejected_dismiss(row_id: int):
    row = web.row_or_404(RejectedRow, row_id)

    def dismiss(form):
        rejected.dismiss(row, current_user)
        return [("success", _("Dismissed."))]

    return web.press(DismissForm(), dismiss, url_for("intake.rejected_list"))


def _edit_page(row: RejectedRow):
    """The row's fields to correct, with what the checks (or the import) said of each."""
    return web.page("intake/rejected_edit.html", row=row, dismiss=DismissForm())
