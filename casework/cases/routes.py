"""The dispatcher's queue, a cadre's own cases, the case page and its actions. Thin: parse, call, commit."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions as perm
from .. import queue, refusals, workflow
from ..extensions import db
from ..ids import row_id, row_ids
from ..intake.forms import ExtensionForm
from ..models import Case, User, Village
from ..workflow import ACTION_LABELS
from . import forms

bp = Blueprint("cases", __name__)


def _row(model, value):
    """The row of `model` an id from the URL or a form names, or None: an impossible id never reaches the database."""
    return db.session.get(model, id_) if (id_ := row_id(value)) else None


def visible_case_or_404(case_id: int) -> Case:
    case = _row(Case, case_id)
    if case is None or not perm.can_view(current_user, case):
        abort(404)
    return case


def _cadres() -> list[User]:
    stmt = select(User).where(User.role == "cadre", User.active).order_by(User.name)
    return list(db.session.scalars(stmt.options(selectinload(User.villages))))


def _villages() -> list[Village]:
    return list(db.session.scalars(select(Village).order_by(Village.name)))


def _cadre_label(user: User) -> str:
    villages = "、".join(v.name for v in user.villages)
    return f"{user.name}（{villages}）" if villages else user.name


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
        (str(u.id), _cadre_label(u)) for u in _cadres()
    ]
    return render_template(
        "cases/queue.html", page=page, f=f, villages=_villages(), bulk=bulk, categories=_categories(), keep=_kept_args()
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
    ids = row_ids(request.form.getlist("case_ids"))
    choice = request.form.get("assignee", "default")
    assignee = None if choice == "default" else _user(choice)
    if not ids or (choice != "default" and assignee is None):
        flash(_("Tick the cases to assign first.") if not ids else _("Choose a cadre to assign to."), "error")
        return redirect(url_for("cases.queue", **_kept_args()))
    cases = db.session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all()
    done, skipped = workflow.assign_many(cases, current_user, assignee)
    db.session.commit()
    flash(ngettext("%(num)d assigned.", "%(num)d assigned.", done), "success")
    for case, exc in skipped:
        flash(_("%(number)s not assigned: %(reason)s", number=case.number, reason=exc.text()), "error")
    return redirect(url_for("cases.queue", **_kept_args()))


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
    action_forms = {a: _blank_form(a, case) for a in actions if a in ACTION_FORMS}
    for action, form in (submitted or {}).items():
        form.version.raw_data = None  # after a conflict the next submit applies to what is shown now
        form.version.data = case.version
        _fill_choices(action, form, case)
        action_forms[action] = form
    # A refused form stays on screen with its message and typing, even if the action no longer applies.
    actions = actions + [a for a in (submitted or {}) if a not in actions]
    events = sorted(case.events, key=lambda e: e.id, reverse=True)
    return render_template(
        "cases/show.html",
        case=case,
        actions=actions,
        action_forms=action_forms,
        events=events,
        open_action=next(iter(submitted or {}), None),
        refusal=refusal,
    ), status


def _blank_form(action: str, case: Case):
    form = ACTION_FORMS[action](prefix=action, formdata=None, version=case.version)
    _fill_choices(action, form, case)
    if action == "escalate":
        form.assignee.data = _only_one(form.assignee.choices)
    elif action in ("assign", "reassign"):
        default = _only_one(form.assignee.choices) if case.escalated else _default_cadre(case)
        form.assignee.data = default if default != case.assignee_id else None
    return form


def _default_cadre(case: Case) -> int | None:
    return case.village.default_cadre_id if case.village else None


def _fill_choices(action: str, form, case: Case) -> None:
    """The people a form offers: any active cadre to assign (the service names one not serving the village);
    for a dispute above the village tier, and to escalate one, only those who mediate at that tier."""
    if action in ("assign", "reassign"):
        form.village.choices = [(0, "—")] + [(v.id, v.name) for v in _villages()]
    if action == "escalate" or (action == "reassign" and case.escalated):
        tier = workflow.next_tier(case.tier) if action == "escalate" else case.tier
        form.assignee.choices = [(0, "—")] + [(u.id, _cadre_label(u)) for u in workflow.mediators_at(case, tier)]
    elif action in ("assign", "reassign"):
        form.assignee.choices = [(0, "—")] + [(u.id, _cadre_label(u)) for u in _cadres()]


def _only_one(choices: list) -> int | None:
    """The one person offered, to preselect (the district's mediator); none when there is a choice."""
    people = [value for value, _label in choices if value]
    return people[0] if len(people) == 1 else None


# --- actions -----------------------------------------------------------------------------------


def _user(value) -> User | None:
    return _row(User, value)


def _assign(case, f):
    village = _row(Village, f.village.data)
    return workflow.assign(
        case,
        current_user,
        assignee=_user(f.assignee.data),
        village=village,
        note=f.note.data or "",
        expected_version=f.version.data,
    )


def _reassign(case, f):
    return workflow.reassign(
        case, current_user, assignee=_user(f.assignee.data), note=f.note.data or "", expected_version=f.version.data
    )


def _return(case, f):
    return workflow.return_to_dispatcher(case, current_user, reason=f.reason.data, expected_version=f.version.data)


def _resolve(case, f):
    return workflow.resolve(
        case,
        current_user,
        result=f.result.data,
        outcome=f.outcome.data,
        agreement_terms=f.agreement_terms.data or "",
        performance_deadline=f.performance_deadline.data,
        failure_route=f.failure_route.data or "",
        expected_version=f.version.data,
    )


def _reopen(case, f):
    return workflow.reopen(case, current_user, reason=f.reason.data, expected_version=f.version.data)


def _escalate(case, f):
    return workflow.escalate(
        case, current_user, assignee=_user(f.assignee.data), note=f.note.data or "", expected_version=f.version.data
    )


def _callback(case, f):
    solved = {"yes": True, "no": False}.get(f.solved.data)
    return workflow.record_callback(
        case,
        current_user,
        solved=solved,
        satisfaction=f.satisfaction.data,
        note=f.note.data or "",
        expected_version=f.version.data,
    )


def _note(case, f):
    return workflow.add_note(case, current_user, note=f.note.data)


def _request_extension(case, f):
    return workflow.request_extension(
        case, current_user, reason=f.reason.data, working_days=f.working_days.data, expected_version=f.version.data
    )


def _grant_extension(case, f):
    return workflow.grant_extension(case, current_user, note=f.note.data or "", expected_version=f.version.data)


def _refuse_extension(case, f):
    return workflow.refuse_extension(case, current_user, reason=f.reason.data, expected_version=f.version.data)


ACTION_FORMS = {
    "assign": forms.AssignForm,
    "reassign": forms.AssignForm,
    "return": forms.ReasonForm,
    "resolve": forms.ResolveForm,
    "reopen": forms.ReasonForm,
    "escalate": forms.EscalateForm,
    "callback": forms.CallbackForm,
    "note": forms.NoteForm,
    "request_extension": ExtensionForm,
    "grant_extension": forms.NoteForm,
    "refuse_extension": forms.ReasonForm,
}
ACTION_SERVICES = {
    "assign": _assign,
    "reassign": _reassign,
    "return": _return,
    "resolve": _resolve,
    "reopen": _reopen,
    "escalate": _escalate,
    "callback": _callback,
    "note": _note,
    "request_extension": _request_extension,
    "grant_extension": _grant_extension,
    "refuse_extension": _refuse_extension,
}


@bp.post("/cases/<int:case_id>/<action>")
@login_required
def act(case_id: int, action: str):
    """Run one workflow action; on refusal show the case again with the message and the typing kept."""
    if action not in ACTION_SERVICES:
        abort(404)
    if (done := _done_out_of_sight(case_id, action)) is not None:
        return done
    case = visible_case_or_404(case_id)
    form = ACTION_FORMS[action](prefix=action)
    _fill_choices(action, form, case)
    if not form.validate():
        return render_case(case, {action: form}, 422)
    try:
        with workflow.conflicts_are_stale():  # a conflict met by a lazy load or at commit is told as one
            ACTION_SERVICES[action](case, form)
            db.session.commit()
    except refusals.WorkflowError as exc:
        db.session.rollback()
        case = visible_case_or_404(case_id)
        if isinstance(exc, refusals.Forbidden):  # not theirs to do: say so, offer no form
            return render_case(case, status=exc.status, refusal=exc.text())
        if isinstance(exc, refusals.StaleCase) and (done := _already_done(case, action)):
            return done  # their own first tap did it: the case as it is now, no form again
        _attach_error(form, exc)
        return render_case(case, {action: form}, exc.status)
    flash(_("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
    return redirect(_after_action(case))


def _done_out_of_sight(case_id: int, action: str):
    """A second tap on an action that took the case out of the actor's sight (退单 of another village's
    case) is told it was done, on their own list, rather than 404."""
    case = _row(Case, case_id)
    return None if case is None or perm.can_view(current_user, case) else _already_done(case, action)


def _already_done(case: Case, action: str):
    """When the actor's own earlier submission did this action (workflow.already_done): say so and go on."""
    if (done := workflow.already_done(case, current_user, action)) is None:
        return None
    flash(done.text(), "info")
    return redirect(_after_action(case))


def _attach_error(form, exc: refusals.WorkflowError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.text()]
    else:
        form.form_errors.append(exc.text())


def _after_action(case: Case) -> str:
    if perm.can_view(current_user, case):
        return url_for("cases.show", case_id=case.id)
    return url_for("cases.mine")
