"""Registering dispute cases, and converting a hotline order into one. Thin: parse, call, commit."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import attachments, refusals, web, workflow
from .. import permissions as perm
from ..clock import local_zone
from ..extensions import db
from ..forms import NONE_CHOSEN
from ..models import Case, Village
from . import forms
from .labels import SOURCE_LABELS, label

bp = Blueprint("disputes", __name__, url_prefix="/disputes")

UNKNOWN_VILLAGE = refusals.N_("Choose a village from the list.")


@bp.route("/new", methods=["GET", "POST"])
@web.takes_uploads
@login_required
def new():
    """登记: a dispatcher registers a dispute in any village, a cadre in a village they serve."""
    if not perm.can_register_disputes(current_user):
        abort(403)
    form = forms.DisputeForm(data=_blank() if request.method == "GET" else None)
    _fill_choices(form)
    if _adding_party(form):
        return _render(form)
    registered = None

    def register(form):
        nonlocal registered
        registered = workflow.register_dispute(current_user, source=form.source.data, **_fields(form))
        return [("success", _("Dispute %(number)s registered.", number=registered.number))]

    done = lambda: url_for("cases.show", case_id=registered.id)
    render = lambda f, status: _render(f, None, status)
    return web.submit(form, render, register, done, refused=lambda exc: _already(form, None, exc))


@bp.route("/from-order/<int:case_id>", methods=["GET", "POST"])
@web.takes_uploads
@login_required
def convert(case_id: int):
    """转为矛盾纠纷: the same form, prefilled from the order; the order and the dispute link to each other."""
    order = _convertible_order(case_id)
    form = forms.ConvertForm(data=_prefill(order) if request.method == "GET" else None)
    _fill_choices(form)
    if _adding_party(form):
        return _render(form, order)
    registered = None

    def register(form):
        nonlocal registered
        version = form.version.data
        registered = workflow.convert_to_dispute(order, current_user, expected_version=version, **_fields(form))
        text = _("Dispute %(number)s registered from order %(order)s.", number=registered.number, order=order.number)
        return [("success", text)]

    def refused(exc):
        nonlocal order
        order = _convertible_order(case_id)  # as it is now: still this user's to convert (else 404 or 403)
        if isinstance(exc, refusals.StaleCase):  # the page now shows the order as it is: the next submit is for that
            form.version.data, form.version.raw_data = order.version, [str(order.version)]
        return _already(form, order, exc)

    done = lambda: url_for("cases.show", case_id=registered.id)
    return web.submit(form, lambda f, status: _render(f, order, status), register, done, refused=refused)


def _convertible_order(case_id: int) -> Case:
    """A hotline order this user sees (else 404) and may convert now (else 403)."""
    order = web.visible_case_or_404(case_id)
    if not order.is_order:
        abort(404)
    if "convert" not in workflow.allowed_actions(current_user, order):
        abort(403)
    return order


# --- parsing -----------------------------------------------------------------------------------


def _adding_party(form: forms.DisputeForm) -> bool:
    """The no-JavaScript "add a party" button: show the form again with one more empty row."""
    if request.method != "POST" or "add_party" not in request.form:
        return False
    if form.can_add_party():
        form.parties.append_entry()
    return True


def _fields(form: forms.DisputeForm) -> dict:
    """The form as the arguments register_dispute takes (times in UTC, the village as a row, the photos checked)."""
    return dict(
        village=web.chosen_row(Village, form.village.data, "village", UNKNOWN_VILLAGE),
        category=form.category.data,
        content=form.content.data,
        address=(form.address.data or "").strip(),
        received_at=_utc(form.received_at.data),
        submission_key=form.submission_key.data or None,
        parties=[{k: p[k] for k in ("name", "contact", "role")} for p in form.parties.data],
        attachments=attachments.photos(form.photos.data),
    )


def _utc(local: datetime | None) -> datetime | None:
    """A wall-clock time typed in the township's zone, as an aware UTC instant."""
    if local is None:
        return None
    try:
        return local.replace(tzinfo=local_zone()).astimezone(UTC)
    except OverflowError as exc:
        raise refusals.InvalidInput(workflow.BAD_RECEIVED_AT, "received_at") from exc


# --- what the form offers ----------------------------------------------------------------------


def _blank() -> dict:
    return {"parties": [{"role": forms.PARTY_ROLES[0]}, {"role": forms.PARTY_ROLES[1]}]}


def _prefill(order: Case) -> dict:
    """From the order: summary, village, address, and the caller as the applicant when this user may see them."""
    caller = {"role": forms.PARTY_ROLES[0]}
    if perm.can_see_caller(current_user, order):
        caller.update(name=order.caller_name, contact=order.caller_phone)
    types = current_app.config["DISPUTE_TYPES"]
    return {
        "village": order.village_id or 0,
        "category": order.category if order.category in types else "",
        "address": order.address,
        "content": order.content,
        "parties": [caller, {"role": forms.PARTY_ROLES[1]}],
        "version": order.version,
    }


def _fill_choices(form: forms.DisputeForm) -> None:
    """A cadre is offered only the villages they serve; a dispatcher any, or none yet."""
    if perm.is_dispatcher(current_user):
        villages = db.session.scalars(select(Village).order_by(Village.name))
        form.village.choices = [NONE_CHOSEN] + [(v.id, v.name) for v in villages]
    else:
        form.village.choices = [(v.id, v.name) for v in current_user.villages]
    form.category.choices = [("", "—")] + [(t, t) for t in current_app.config["DISPUTE_TYPES"]]
    if form.source is not None:
        form.source.choices = [(s, label(SOURCE_LABELS, s)) for s in current_app.config["DISPUTE_SOURCES"]]


def _already(form, order: Case | None, refusal: refusals.WorkflowError):
    """A form sent before: the page again with the dispute it registered, linked where the user may see it;
    None for any other refusal (shown at its field)."""
    if isinstance(refusal, refusals.AlreadySubmitted):
        return _render(form, order, refusal.status, already=refusal)
    return None


def _render(form, order: Case | None = None, status: int = 200, already: refusals.AlreadySubmitted | None = None):
    """The form with every typed value and its messages: a hidden field's above the form, the parties' own
    (none named, too many) above their rows."""
    general = list(form.submission_key.errors) + list(form.form_errors)
    party_errors = [e for e in form.parties.errors if isinstance(e, str)]  # the rows' own are beside them
    return render_template(
        "disputes/form.html",
        form=form,
        order=order,
        general_errors=general,
        party_errors=party_errors,
        already=already,
    ), status
