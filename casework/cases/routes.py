"""The dispatcher's queue, a cadre's own cases, the case page and its actions. Thin: parse, call, commit."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import attachments, queue, refusals, workflow
from .. import permissions as perm
from ..extensions import db
from ..forms import person_label
from ..ids import row_id, row_ids
from ..models import Attachment, Case, User
from ..web import row_or_404, row_or_none, submit, takes_uploads, visible_case_or_404
from . import forms

bp = Blueprint("cases", __name__)


# --- lists -------------------------------------------------------------------------------------


def _queue_filter() -> queue.QueueFilter:
    args = request.args
    return queue.QueueFilter(
        state=args.get("state", "received") or None,
        kind=args.get("kind") or None,
        village_id=row_id(args.get("village")),
        category=args.get("category") or None,
        overdue=args.get("overdue") == "1",
        ack_overdue=args.get("ack_overdue") == "1",
        problem=args.get("problem") == "1",
        q=args.get("q", "")[:100],
    )


@bp.get("/queue", endpoint="queue")
@login_required
def queue_list():
    if not perm.can_read_queue(current_user):
        abort(403)
    f = _queue_filter()
    page = queue.queue_page(
        current_user,
        f,
        after=request.args.get("after"),
        before=request.args.get("before"),
        limit=current_app.config["PAGE_SIZE"],
    )
    bulk = forms.BulkAssignForm()
    bulk.assignee.choices = [("default", _("Each village's default cadre"))] + [
        (str(u.id), person_label(u)) for u in forms.cadres()
    ]
    return render_template(
        "cases/queue.html",
        page=page,
        f=f,
        villages=forms.villages(),
        bulk=bulk,
        categories=_categories(),
        keep=_kept_args(),
    )


def _categories() -> list[str]:
    return list(dict.fromkeys(current_app.config["ORDER_CATEGORIES"] + current_app.config["DISPUTE_TYPES"]))


@bp.get("/my")
@login_required
def mine():
    return render_template(
        "cases/mine.html",
        cases=queue.my_cases(current_user, limit=current_app.config["MY_CASES_LIMIT"]),
        open_count=queue.my_open_count(current_user),
        resolved=queue.recently_resolved_by(current_user),
    )


@bp.post("/queue/assign")
@login_required
def bulk_assign():
    """Assign the ticked cases at once; each succeeds or is skipped with its reason."""
    if not perm.is_dispatcher(current_user):
        abort(403)
    back = url_for("cases.queue", **_kept_args())
    return submit(forms.BulkAssignForm(), lambda form, status: abort(status), _assign_ticked, back)


def _assign_ticked(form: forms.BulkAssignForm) -> list[tuple[str, str]]:
    """The ticked cases go to the cadre chosen, or each to its village's default cadre: what to say of it."""
    ids = row_ids(request.form.getlist("case_ids"))
    choice = request.form.get("assignee", "default")
    assignee = None if choice == "default" else row_or_none(User, choice)
    if not ids or (choice != "default" and assignee is None):
        return [("error", _("Tick the cases to assign first.") if not ids else _("Choose a cadre to assign to."))]
    cases = db.session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all()
    done, skipped = workflow.assign_many(cases, current_user, assignee)
    return [("success", ngettext("%(num)d assigned.", "%(num)d assigned.", done))] + [
        ("error", _("%(number)s not assigned: %(reason)s", number=case.number, reason=exc.text()))
        for case, exc in skipped
    ]


QUEUE_ARGS = ("state", "kind", "village", "category", "overdue", "ack_overdue", "problem", "q")


def _kept_args() -> dict:
    return {k: v for k, v in request.args.items() if k in QUEUE_ARGS}


# --- the case page -----------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int):
    return render_case(visible_case_or_404(case_id))


def render_case(case: Case, submitted: dict | None = None, status: int = 200, refusal: str | None = None):
    """The case with exactly the action forms this viewer may use; a submitted form keeps its typing."""
    actions = workflow.allowed_actions(current_user, case)
    action_forms = {a: _blank_form(a, case) for a in actions if forms.form_for(a, case)}
    for action, form in (submitted or {}).items():
        form.version.raw_data = None  # after a conflict the next submit applies to what is shown now
        form.version.data = case.version
        form.fit(case)
        action_forms[action] = form
    # A refused form stays on screen with its message and typing, even if the action no longer applies.
    actions = actions + [a for a in (submitted or {}) if a not in actions]
    events = sorted(case.events, key=lambda e: e.id, reverse=True)
    return render_template(
        "cases/show.html",
        case=case,
        actions=actions,
        action_forms=action_forms,
        action_pages=forms.ACTION_PAGES,
        events=events,
        files=attachments.of_events(case),
        open_action=next(iter(submitted or {}), None),
        refusal=refusal,
    ), status


def _blank_form(action: str, case: Case):
    form = forms.form_for(action, case)(prefix=action, formdata=None, version=case.version)
    form.fit(case)
    form.preselect(case)
    return form


# --- actions -----------------------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/<action>")
@takes_uploads
@login_required
def act(case_id: int, action: str):
    """Take one action of the case page; on refusal show the case again with the message and the typing kept."""
    if action not in forms.ACTION_FORMS:
        abort(404)
    if (done := _done_out_of_sight(case_id, action)) is not None:
        return done
    case = visible_case_or_404(case_id)
    form_class = forms.form_for(action, case) or abort(404)  # an action of the other kind of case
    form = form_class(prefix=action)
    form.fit(case)
    return submit(
        form,
        lambda form, status: render_case(visible_case_or_404(case_id), {action: form}, status),
        lambda form: _take(action, case, form),
        lambda: _after_action(case),
        refused=lambda exc: _refused(case_id, action, exc),
    )


def _take(action: str, case: Case, form) -> list[tuple[str, str]]:
    with workflow.conflicts_are_stale():  # a conflict met by a lazy load, or by what the commit writes, is told as one
        workflow.service_of(action)(case, current_user, **form.arguments())
        db.session.flush()  # what the commit would write, written here: the commit has nothing left to meet
    return [("success", _("Done: %(action)s.", action=workflow.ACTION_LABELS[action]))]


def _refused(case_id: int, action: str, exc: refusals.WorkflowError):
    """A refusal the case page answers in its own way, or None: not theirs to do (the case, with no form), or
    a conflict with their own first tap (it is done)."""
    case = visible_case_or_404(case_id)  # as it is now, and still theirs to see
    if isinstance(exc, refusals.Forbidden):
        return render_case(case, status=exc.status, refusal=exc.text())
    if isinstance(exc, refusals.StaleCase):
        return _already_done(case, action)
    return None


def _done_out_of_sight(case_id: int, action: str):
    """A second tap on an action that took the case out of the actor's sight (退单 of another village's
    case) is told it was done, on their own list, rather than 404."""
    case = row_or_none(Case, case_id)
    return None if case is None or perm.can_view(current_user, case) else _already_done(case, action)


def _already_done(case: Case, action: str):
    """When the actor's own earlier submission did this action (workflow.already_done): say so and go on."""
    if (done := workflow.already_done(case, current_user, action)) is None:
        return None
    flash(done.text(), "info")
    return redirect(_after_action(case))


def _after_action(case: Case) -> str:
    if perm.can_view(current_user, case):
        return url_for("cases.show", case_id=case.id)
    return url_for("cases.mine")


# --- attachments -------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int):
    """A photo or an agreement, to whoever may see its case; 404 otherwise, as for the case itself."""
    found = _attachment_of(case_id, attachment_id)
    return _send(attachments.file_path(found.sha256, found.media_type), found.media_type, found)


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>/thumb")
@login_required
def attachment_thumb(case_id: int, attachment_id: int):
    found = _attachment_of(case_id, attachment_id)
    if not found.is_image:
        abort(404)
    return _send(attachments.thumb_path(found.sha256), "image/jpeg", found)


def _attachment_of(case_id: int, attachment_id: int) -> Attachment:
    case = visible_case_or_404(case_id)
    found = row_or_404(Attachment, attachment_id)
    if found.case_id != case.id:
        abort(404)
    return found


def _send(path, media_type: str, found: Attachment):
    """The stored file under a safe name: an image shown in the page, a PDF downloaded; kept by no shared cache."""
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=media_type,
        as_attachment=not found.is_image,
        download_name=attachments.download_name(found),
        max_age=0,
    )
    response.cache_control.private = True
    return response
