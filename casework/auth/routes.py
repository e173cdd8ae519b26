"""Log in and out; `next` may only point inside this site."""

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .forms import LoginForm

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {"dispatcher": "cases.queue", "cadre": "cases.mine", "leader": "stats.dashboard", "admin": "admin.users"}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks, no control character."""
    if not target:
        return None
    target = target.strip()
    if not target.isprintable():  # a line break cannot go in a Location header; browsers drop tabs from URLs
        return None
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def home_url(user) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "cases.mine"))


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user and user.active and user.check_password(form.password.data):
            login_user(user)
            return redirect(safe_next(form.next.data) or home_url(user))
        form.password.errors.append(_("Wrong username or password."))
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("auth.index"))
