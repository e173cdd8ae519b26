"""Log in and out; `next` may only point inside this site."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, audit, web
from ..extensions import savepoint
from ..models import utcnow
from ..refusals import WorkflowError
from . import two_factor
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(web.home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        if request.method == "POST":
            form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401 if request.method == "POST" else 200
    try:  # a failure (and a lock begun) stays recorded
        user, second_step = web.run(lambda: _password_step(form), keep_refused=True)
    except WorkflowError as exc:
        web.attach_refusal(form, exc, default="password")
        return render_template("auth/login.html", form=form), exc.status
    if second_step is not None:
        return second_step
    session.pop(two_factor.PENDING, None)  # another user's login half done in this browser ends here
    login_user(user)
    return redirect(web.safe_next(form.next.data) or web.home_url(user))


def _password_step(form: LoginForm):
    """The user whose password is right, and the response leading to their second factor when one comes
    first (a code, or the setup); else None, and the login is recorded. Of a refusal, only what the
    password's check wrote is left to keep (a failure, a lock begun): what the steps after it wrote is undone."""
    user = accounts.check_login(form.username.data, form.password.data, web.origin(), utcnow())
    with savepoint():  # keep_refused is for the password's failure, never for half of what follows
        second_step = two_factor.begin_login(user, form.next.data)
        if second_step is None:
            accounts.record_login(user, web.origin())
    return user, second_step


# Pages a user who must choose a new password may still reach.
OPEN_DURING_CHANGE = frozenset({"auth.change_password", "auth.logout", "auth.set_language", "static"}) | frozenset(
    {"shell.manifest", "shell.service_worker", "shell.offline"}  # the installable app's files name nobody
)


@bp.before_app_request
def password_change_first():
    """An admin set this user's password: every page leads to choosing their own until it is done."""
    if request.endpoint in OPEN_DURING_CHANGE or not current_user.is_authenticated:
        return None
    return redirect(url_for("auth.change_password")) if accounts.must_change_password(current_user) else None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    def change(form):
        fields = (form.current.data, form.new.data, form.repeated.data)
        accounts.change_own_password(current_user, *fields, web.origin())
        return [("success", _("Your new password is set."))]

    render = web.page("auth/password.html", forced=accounts.must_change_password(current_user))
    done = lambda: web.home_url(current_user)
    # a wrong current password (and a lock begun) stays recorded; a refusal writes nothing else
    return web.submit(PasswordChangeForm(), render, change, done, keep_refused=True)


@bp.post("/logout")
@login_required
def logout():
    web.run(lambda: audit.record(audit.LOGOUT, web.origin(), user=current_user))
    session.pop(two_factor.PENDING, None)
    logout_user()  # a change of user: the session's row is deleted when saved, so its key opens nothing
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(web.safe_next(request.args.get("next")) or url_for("auth.index"))
