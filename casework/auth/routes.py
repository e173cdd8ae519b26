"""Log in and out; `next` may only point inside this site."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, audit
from ..extensions import db
from ..models import utcnow
from ..refusals import WorkflowError
from ..web import home_url, origin, safe_next
from . import two_factor
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        if request.method == "POST":
            form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401 if request.method == "POST" else 200
    try:
        user = accounts.check_login(form.username.data, form.password.data, origin(), utcnow())
    except WorkflowError as exc:
        db.session.commit()  # the failure (and a lock begun) stays recorded
        form.password.errors.append(exc.text())
        return render_template("auth/login.html", form=form), exc.status
    second_step = two_factor.begin_login(user, form.next.data)  # a code, or the setup, comes first
    if second_step is not None:
        db.session.commit()
        return second_step
    accounts.record_login(user, origin())
    db.session.commit()
    session.pop(two_factor.PENDING, None)  # another user's login half done in this browser ends here
    login_user(user)
    return redirect(safe_next(form.next.data) or home_url(user))


# Pages a user who must choose a new password may still reach.
OPEN_DURING_CHANGE = frozenset({"auth.change_password", "auth.logout", "auth.set_language", "static"})


@bp.before_app_request
def password_change_first():
    """An admin set this user's password: every page leads to choosing their own until it is done."""
    if request.endpoint in OPEN_DURING_CHANGE or not current_user.is_authenticated:
        return None
    return redirect(url_for("auth.change_password")) if accounts.must_change_password(current_user) else None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    forced = accounts.must_change_password(current_user)
    if request.method == "GET":
        return render_template("auth/password.html", form=form, forced=forced)
    try:
        fields = (form.current.data, form.new.data, form.repeated.data)
        accounts.change_own_password(current_user, *fields, origin())
        db.session.commit()
    except WorkflowError as exc:
        db.session.commit()  # a wrong current password (and a lock begun) stays recorded; a refusal writes nothing else
        field = getattr(form, exc.field or "new", form.new)
        field.errors = [*field.errors, exc.text()]  # no validate() ran: errors is still a tuple
        return render_template("auth/password.html", form=form, forced=forced), exc.status
    flash(_("Your new password is set."), "success")
    return redirect(home_url(current_user))


@bp.post("/logout")
@login_required
def logout():
    audit.record(audit.LOGOUT, origin(), user=current_user)
    db.session.commit()
    session.pop(two_factor.PENDING, None)
    logout_user()  # a change of user: the session's row is deleted when saved, so its key opens nothing
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("auth.index"))
