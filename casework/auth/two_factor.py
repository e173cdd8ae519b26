"""The second factor on the web: a user sets it up from their account page; at login, after the right
password, a user with a second factor (or whose role requires one) is not logged in yet.

The pending login is kept in the session for PENDING_MINUTES: the user id and where to go after. It
leads to the code step (`login_code`), or, for a role that requires a second factor not yet set up, to
the setup (`login_setup`); only then is the user logged in. Thin views: the rules are second_factor's.
"""

import time
from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField

from .. import accounts, second_factor, sessions, web
from ..models import User
from ..refusals import WorkflowError

bp = Blueprint("two_factor", __name__)
PENDING = "pending_login"
PENDING_MINUTES = 5  # from the right password to the code: long enough to find the phone


class CodeForm(FlaskForm):
    code = StringField(_l("Code"))


class StartForm(FlaskForm):
    """A button: make a new key (only its CSRF token is posted)."""


# --- the pending login ---------------------------------------------------------------------------


def begin_login(user: User, next_: str | None):
    """After the right password: the response that leads to the second factor, or None when the user
    needs none and may be logged in now. A user who must set one up gets a new key to scan (flushed: the
    caller commits)."""
    step = second_factor.login_step(user)
    if step is None:
        return None
    if step == "enrol" and second_factor.enrolment(user) is None:
        second_factor.start(user)
    sessions.regenerate()  # a key planted before the password (session fixation) cannot go on to the code
    session[PENDING] = {"user": user.id, "until": time.time() + PENDING_MINUTES * 60, "next": next_ or ""}
    return redirect(url_for("two_factor.login_code" if step == "code" else "two_factor.login_setup"))


def pending_user() -> User | None:
    """The user whose password was right a moment ago, while the pending login lasts and they are active."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("until"), int | float):
        return None
    if pending["until"] < time.time():
        session.pop(PENDING, None)
        return None
    user = web.row_or_none(User, pending.get("user"))
    return user if user is not None and user.active else None


def _finish_login(user: User) -> str:
    """The second factor is done and the login recorded (committed): the user logged in; where to go."""
    next_ = web.safe_next(session.pop(PENDING, {}).get("next"))
    login_user(user)
    return next_ or web.home_url(user)


def _back_to_login():
    flash(_("Your login took too long. Enter your password again."), "warning")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user = pending_user()
    if user is None or not second_factor.is_enrolled(user):
        return _back_to_login()
    form = CodeForm()
    if request.method == "GET":
        return render_template("auth/two_factor_code.html", form=form), 200
    if not form.validate():
        return render_template("auth/two_factor_code.html", form=_with_error(form)), 401
    try:  # a failure stays recorded (and a lock begun): throttling counts it
        web.run(lambda: _code_step(user, form.code.data or ""), keep_refused=True)
    except WorkflowError as exc:
        web.attach_refusal(form, exc, default="code")
        return render_template("auth/two_factor_code.html", form=form), exc.status
    return redirect(_finish_login(user))


def _code_step(user: User, code: str) -> None:
    """The code is the user's: the login recorded."""
    second_factor.verify_at_login(user, code, web.origin())
    accounts.record_login(user, web.origin())


def _with_error(form: CodeForm) -> CodeForm:
    """A refused form always says why, also when only its CSRF token was wrong."""
    form.code.errors = [*form.code.errors, *form.errors.get("csrf_token", ())] or [_("Enter the code.")]
    return form


@bp.route("/login/setup", methods=["GET", "POST"])
def login_setup():
    """A role that requires a second factor sets it up before the first login with it."""
    user = pending_user()
    setup = second_factor.enrolment(user) if user is not None else None
    if setup is None:
        return _back_to_login()
    form = CodeForm()
    if request.method == "POST":
        codes, status = _confirm(form, lambda code: _enrol_at_login(user, code))
        if codes is not None:
            return _show_codes(codes, _finish_login(user))
        return _render_setup(user, setup, form, url_for("two_factor.login_setup"), status)
    return _render_setup(user, setup, form, url_for("two_factor.login_setup"), 200)


def _enrol_at_login(user: User, code: str) -> list[str]:
    """The code is the one the user's app makes: enrolled and the login recorded; the recovery codes."""
    codes = second_factor.enrol(user, code, web.origin())
    accounts.record_login(user, web.origin())
    return codes


# --- the account page ------------------------------------------------------------------------------


@bp.get("/account/two-factor")
@login_required
def account():
    user = current_user
    setup = second_factor.enrolment(user)
    if setup is not None:
        return _render_setup(user, setup, CodeForm(formdata=None), url_for("two_factor.confirm"), 200)
    return render_template(
        "auth/two_factor_account.html",
        enrolled=second_factor.is_enrolled(user),
        required=second_factor.is_required(user),
        codes_left=second_factor.recovery_codes_left(user),
    )


@bp.post("/account/two-factor/start")
@login_required
def start():
    def start_enrolment(form):
        second_factor.start(current_user)  # the account page then shows the key to scan
        return []

    return web.press(StartForm(), start_enrolment, url_for("two_factor.account"))


@bp.post("/account/two-factor/confirm")
@login_required
def confirm():
    setup = second_factor.enrolment(current_user)
    if setup is None:
        return redirect(url_for("two_factor.account"))
    form = CodeForm()
    codes, status = _confirm(form, lambda code: second_factor.enrol(current_user, code, web.origin()))
    if codes is not None:
        return _show_codes(codes, url_for("two_factor.account"))
    return _render_setup(current_user, setup, form, url_for("two_factor.confirm"), status)


def _confirm(form: CodeForm, enrol: Callable[[str], list[str]]) -> tuple[list[str] | None, int]:
    """Enrol with the typed code (`enrol(code)`, committed at once): the recovery codes, or None and the
    status of the refusal."""
    if not form.validate():
        _with_error(form)
        return None, 422
    try:
        codes = web.run(lambda: enrol(form.code.data or ""))
    except WorkflowError as exc:
        web.attach_refusal(form, exc, default="code")
        return None, exc.status
    return codes, 200


def _render_setup(user: User, setup, form, action: str, status: int):
    key = " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4))
    qr = Markup(setup.svg)  # drawn by qrcode from our own key: no text of anyone's in it
    page = render_template("auth/two_factor_setup.html", form=form, key=key, qr=qr, action=action, user=user)
    return page, status


def _show_codes(codes: list[str], onward: str):
    """The recovery codes, once: they are stored only as hashes from now on."""
    return render_template("auth/two_factor_codes.html", codes=codes, onward=onward)
