"""Admins manage users, villages, districts and default cadres. Thin: parse, call one service, commit."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import accounts, audit, deadlines, holidays, people, refusals, second_factor, sessions, throttle, web
from .. import permissions as perm
from ..account.forms import EndSessionsForm
from ..clock import local_zone
from ..extensions import db
from ..forms import NONE_CHOSEN, person_label
from ..ids import row_id, row_ids
from ..models import CASE_HANDLERS, District, User, Village, utcnow
from . import forms

bp = Blueprint("admin", __name__, url_prefix="/admin")
NOT_LISTED = refusals.N_("This choice is not in the list; choose again.")


@bp.before_request
def admins_only():
    """Every page here is for administrators: others get 403, strangers the login page."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not perm.can_manage(current_user):
        abort(403)
    return None


@bp.app_context_processor
def calendar_reminder_processor():
    """Every page may remind admins and dispatchers that next year's holiday schedule is still to be entered."""
    return {"calendar_reminder": calendar_reminder}


def calendar_reminder(user) -> int | None:
    """The year to remind `user` of (holidays.reminder_year), for those who see the reminder only."""
    if not perm.can_see_calendar_reminder(user):
        return None
    return holidays.reminder_year(utcnow())


def _chosen(model, id_: int | None, field: str):
    """The row chosen in a select, None for "—" (0); an id that names no row is refused at its field."""
    return web.chosen_row(model, id_, field, NOT_LISTED)


# --- users -------------------------------------------------------------------------------------


@bp.get("/users")
def users():
    query = select(User).options(selectinload(User.villages)).order_by(User.active.desc(), User.role, User.name)
    return render_template("admin/users.html", users=db.session.scalars(query).all())


def _villages() -> list[Village]:
    return list(db.session.scalars(select(Village).order_by(Village.name)))


def _chosen_villages(form) -> list[Village]:
    """The villages ticked; an id that names no village is refused, never dropped unseen."""
    ticked = set(form.villages.data or ())
    ids = row_ids(ticked)
    villages = list(db.session.scalars(select(Village).where(Village.id.in_(ids)).order_by(Village.name)))
    if len(villages) != len(ticked):
        raise refusals.InvalidInput(NOT_LISTED, "villages")
    return villages


def _with_villages(form):
    form.villages.choices = [(v.id, v.name) for v in _villages()]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    def create(form):
        user = people.create_user(
            current_user,
            username=form.username.data,
            name=form.name.data,
            role=form.role.data,
            password=form.password.data,
            phone=form.phone.data,
            villages=_chosen_villages(form),
        )
        return [("success", _("Created %(name)s (%(username)s).", name=user.name, username=user.username))]

    form = _with_villages(forms.UserCreateForm(role="cadre"))
    return web.submit(form, web.page("admin/user_form.html", user=None), create, url_for("admin.users"))


def _render_user(user: User, form=None, password_form=None, status: int = 200):
    if form is None:
        form = _with_villages(forms.UserEditForm(formdata=None, obj=user))
        form.villages.data = [v.id for v in user.villages]
    password_form = password_form or forms.PasswordForm(formdata=None)
    return render_template("admin/user_form.html", form=form, password_form=password_form, user=user), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = web.row_or_404(User, user_id)

    def update(form):
        vacated = people.update_user(
            current_user,
            user,
            name=form.name.data,
            phone=form.phone.data,
            role=form.role.data,
            villages=_chosen_villages(form),
            active=form.active.data,
        )
        return [("success", _("Saved %(name)s.", name=user.name)), *_vacated_messages(user, vacated)]

    form = _with_villages(forms.UserEditForm()) if request.method == "POST" else None
    return web.submit(form, lambda f, status: _render_user(user, f, None, status), update, url_for("admin.users"))


def _vacated_messages(user: User, vacated: people.Vacated) -> list[tuple[str, str]]:
    messages = []
    if vacated.villages:
        names = "、".join(v.name for v in vacated.villages)
        messages.append(("warning", _("These villages now have no default cadre: %(names)s.", names=names)))
    if vacated.districts:
        names = "、".join(d.name for d in vacated.districts)
        messages.append(("warning", _("These districts now have no mediator: %(names)s.", names=names)))
    if vacated.open_cases:
        text = ngettext(
            "%(num)d case is still assigned to %(name)s; reassign it from the queue.",
            "%(num)d cases are still assigned to %(name)s; reassign them from the queue.",
            vacated.open_cases,
            name=user.name,
        )
        messages.append(("warning", text))
    return messages


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    user = web.row_or_404(User, user_id)

    def reset(form):
        people.reset_password(current_user, user, form.password.data or "", web.origin())
        return [("success", _("New password set for %(name)s.", name=user.name))]

    render = lambda f, status: _render_user(user, None, f, status)
    return web.submit(forms.PasswordForm(), render, reset, url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/end")
def sign_out_everywhere(user_id: int):
    """The admin's "sign out everywhere": every session of the person ends (a lost phone, a shared PC)."""
    user = web.row_or_404(User, user_id)

    def sign_out(form):
        ended = sessions.end_all_sessions(
            user, actor=current_user, origin=web.origin(), reason="signed out by administrator"
        )
        message = _("%(name)s is signed out everywhere: %(count)d sessions ended.", name=user.name, count=ended)
        return [("success", message)]

    render = lambda f, status: _render_user(user, None, None, status)
    return web.submit(EndSessionsForm(), render, sign_out, url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    """A lost phone: the person's second factor is removed (recorded); they log in with the password alone,
    or set up a new one at their next login when their role requires it."""
    user = web.row_or_404(User, user_id)

    def reset(form):
        second_factor.reset(current_user, user, web.origin())
        return [("success", _("The second factor of %(name)s is reset.", name=user.name))]

    render = lambda f, status: _render_user(user, None, None, status)
    return web.submit(forms.TwoFactorResetForm(), render, reset, url_for("admin.edit_user", user_id=user.id))


# --- the login audit (登录日志) ---------------------------------------------------------------------

AUDIT_FILTERS = ("kind", "username", "ip", "from", "to")
AUTH_EVENT_LABELS = {
    audit.LOGIN: _l("Logged in"),
    audit.FAILURE: _l("Failed login"),
    audit.LOCKED: _l("Locked"),
    audit.UNLOCK: _l("Lock lifted"),
    audit.LOGOUT: _l("Logged out"),
    audit.SESSION_ENDED: _l("Session ended"),
    audit.PASSWORD: _l("Password changed"),
    audit.TOTP_ENROLLED: _l("Two-factor enrolled"),
    audit.TOTP_RESET: _l("Two-factor reset"),
    audit.RECOVERY_USED: _l("Recovery code used"),
    audit.TOTP_FAILURE: _l("Wrong two-factor code"),
    audit.TOTP_ACCEPTED: _l("Two-factor code accepted"),
}
BAD_DATE = refusals.N_("Write the date as YYYY-MM-DD.")


def _local_day_start(value: str | None, field: str, errors: dict, days: int = 0) -> datetime | None:
    """The UTC instant the local day begins (plus `days`); a date that cannot be read is noted at its field."""
    if not value:
        return None
    try:  # the calendar's first and last days overflow too, once moved a day or to UTC
        day = date.fromisoformat(value.strip()) + timedelta(days=days)
        return datetime.combine(day, time(), local_zone()).astimezone(UTC)
    except (ValueError, OverflowError):
        errors[field] = _(BAD_DATE)
        return None


def _audit_filter(args) -> tuple[accounts.AuditFilter, dict]:
    errors: dict = {}
    kind = args.get("kind", "")
    chosen = accounts.AuditFilter(
        kind=kind if kind in audit.KINDS else "",
        username=(args.get("username") or "").strip()[:40],
        ip=(args.get("ip") or "").strip()[:45],
        since=_local_day_start(args.get("from"), "from", errors),
        before=_local_day_start(args.get("to"), "to", errors, days=1),
    )
    return chosen, errors


@bp.get("/audit")
def audit_log():
    """系统管理 › 登录日志: newest first, filtered, a page at a time; the locks in force, to lift."""
    chosen, errors = _audit_filter(request.args)
    size = current_app.config["AUDIT_PAGE_SIZE"]
    events = accounts.audit_page(current_user, chosen, row_id(request.args.get("after")), size)
    filters = {name: request.args.get(name, "") for name in AUDIT_FILTERS}
    page = render_template(
        "admin/audit.html",
        events=events,
        older=events[-1].id if len(events) == size else None,
        filters={k: v for k, v in filters.items() if v},
        values=filters,
        errors=errors,
        kinds=audit.KINDS,
        labels=AUTH_EVENT_LABELS,
        locks=throttle.current_locks(utcnow()),
    )
    return page, 422 if errors else 200


@bp.post("/audit/unlock")
def unlock():
    def lift(form):  # a username, or an address (the audit page's address locks post `ip`)
        lifted = throttle.lift(current_user, form.username.data, web.origin(), ip=form.ip.data)
        return [("success", _("The lock on %(username)s is lifted.", username=lifted))]

    return web.press(forms.UnlockForm(), lift, url_for("admin.audit_log"))


# --- villages ----------------------------------------------------------------------------------


@bp.get("/villages")
def villages():
    query = select(Village).options(
        selectinload(Village.district), selectinload(Village.default_cadre), selectinload(Village.cadres)
    )
    return render_template("admin/villages.html", villages=db.session.scalars(query.order_by(Village.name)).all())


def _districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def _village_form(village: Village | None, form=None):
    """The village form; the default cadre is chosen among the active cadres serving the village."""
    if form is None:
        form = forms.VillageForm(obj=village) if village else forms.VillageForm()
    form.district.choices = [NONE_CHOSEN] + [(d.id, d.name) for d in _districts()]
    serving = [u for u in village.cadres if u.active] if village else []
    form.default_cadre.choices = [NONE_CHOSEN] + [(u.id, u.name) for u in sorted(serving, key=lambda u: u.name)]
    if request.method == "GET" and village:
        form.district.data = village.district_id or 0
        form.default_cadre.data = village.default_cadre_id or 0
    return form


def _village_fields(form) -> dict:
    """The village form as the arguments create_village and update_village take (the choices as rows)."""
    return dict(
        name=form.name.data,
        aliases=form.aliases.data,
        district=_chosen(District, form.district.data, "district"),
        default_cadre=_chosen(User, form.default_cadre.data, "default_cadre"),
    )


@dataclass(frozen=True)
class _Place:
    """A kind of place (Village, District) and its two pages, a new one's (admin.new_<kind> at /<kind>s/new)
    and one to edit (admin.edit_<kind> at /<kind>s/<<kind>_id>): what they differ in. The kind is the
    model's name in lower case: it names the pages, their template and the list they go back to."""

    model: type
    form: Callable  # the row (None for a new one) -> its form, the choices set
    fields: Callable  # the form -> the arguments of create and update
    create: Callable  # (actor, **fields) -> the new row
    update: Callable  # (actor, row, **fields)
    said: tuple[str, str]  # what the list says after a create, after an update: msgids of %(name)s

    @property
    def kind(self) -> str:
        return self.model.__name__.lower()

    def add_pages(self) -> None:
        methods = ["GET", "POST"]
        bp.add_url_rule(f"/{self.kind}s/new", f"new_{self.kind}", lambda: self.page(None), methods=methods)
        bp.add_url_rule(f"/{self.kind}s/<int:{self.kind}_id>", f"edit_{self.kind}", self.edit_page, methods=methods)

    def edit_page(self, **path):
        return self.page(web.row_or_404(self.model, path[f"{self.kind}_id"]))

    def page(self, row):
        """The page of a new place (`row` None) or of one to edit: its form, saved through create or update,
        which the list it goes back to says."""

        def save(form):
            if row is None:
                name = self.create(current_user, **self.fields(form)).name
                return [("success", _(self.said[0], name=name))]
            self.update(current_user, row, **self.fields(form))
            return [("success", _(self.said[1], name=row.name))]

        render = web.page(f"admin/{self.kind}_form.html", **{self.kind: row})
        return web.submit(self.form(row), render, save, url_for(f"admin.{self.kind}s"))


VILLAGE_SAID = refusals.N_("Created the village %(name)s."), refusals.N_("Saved the village %(name)s.")
VILLAGES = _Place(Village, _village_form, _village_fields, people.create_village, people.update_village, VILLAGE_SAID)
VILLAGES.add_pages()


# --- districts ---------------------------------------------------------------------------------


@bp.get("/districts")
def districts():
    query = select(District).options(selectinload(District.villages), selectinload(District.mediator))
    return render_template("admin/districts.html", districts=db.session.scalars(query.order_by(District.name)).all())


def _district_form(district: District | None):
    form = forms.DistrictForm(obj=district) if district else forms.DistrictForm()
    people_who_mediate = db.session.scalars(
        select(User).where(User.role.in_(CASE_HANDLERS), User.active).order_by(User.role, User.name)
    )
    form.mediator.choices = [NONE_CHOSEN] + [(u.id, person_label(u)) for u in people_who_mediate]
    if request.method == "GET" and district:
        form.mediator.data = district.mediator_id or 0
    return form


def _district_fields(form) -> dict:
    """The district form as the arguments create_district and update_district take (the mediator as a row)."""
    return dict(name=form.name.data, mediator=_chosen(User, form.mediator.data, "mediator"))


DISTRICT_SAID = refusals.N_("Created the district %(name)s."), refusals.N_("Saved the district %(name)s.")
DISTRICTS = _Place(
    District, _district_form, _district_fields, people.create_district, people.update_district, DISTRICT_SAID
)
DISTRICTS.add_pages()


# --- the holiday calendar (节假日安排) ------------------------------------------------------------------------

WORKDAY_SEPARATORS = re.compile(r"[\s,，、;；]+")


@bp.get("/calendar")
def calendar():
    """The year to look at: next year while it waits to be entered (from 1 December), else this year."""
    now = utcnow()
    year = holidays.reminder_year(now) or deadlines.calendar().local_date(now).year
    return redirect(url_for("admin.calendar_year", year=year))


def _calendar_year(year: int) -> int:
    return year if holidays.EARLIEST_YEAR <= year <= holidays.LATEST_YEAR else abort(404)


def _calendar_form(year: int) -> forms.CalendarForm:
    """The form filled with the schedule in force (entered, or the package's), or the notice's holiday names
    ready for their dates."""
    data = holidays.export_schedule(year)
    rows = data["holidays"] if data else [{"name": name} for name in holidays.HOLIDAY_NAMES]
    form = forms.CalendarForm(formdata=None)
    for entry, row in zip(form.holidays, rows, strict=False):
        entry.form.name.data, entry.form.first.data, entry.form.last.data = row["name"], row.get("from"), row.get("to")
    form.workdays.data = "\n".join(data["workdays"]) if data else ""
    return form


def _render_calendar(year: int, form=None, import_form=None, status: int = 200):
    page = render_template(
        "admin/calendar.html",
        year=year,
        form=form or _calendar_form(year),
        import_form=import_form or forms.CalendarImportForm(formdata=None),
        months=holidays.year_grid(year),
        source=holidays.source_of(year),
        entries=holidays.entries(year),
        names=holidays.HOLIDAY_NAMES,
    )
    return page, status


def _schedule_data(year: int, form: forms.CalendarForm) -> dict:
    """The form as the JSON form of a schedule, each entry marked with its field (and a make-up day with its
    line in the box); rows without dates are left out (the names are offered ready)."""
    rows = [
        holidays.located({"name": r.form.name.data, "from": r.form.first.data, "to": r.form.last.data}, field=r.name)
        for r in form.holidays
        if (r.form.first.data or "").strip() or (r.form.last.data or "").strip()
    ]
    days = [
        holidays.located(token, line=number, field="workdays")
        for number, line in enumerate((form.workdays.data or "").split("\n"), 1)
        for token in WORKDAY_SEPARATORS.split(line.strip())
        if token
    ]
    return {"year": year, "holidays": rows, "workdays": days}


def _entered_messages(entered: holidays.Entered) -> list[tuple[str, str]]:
    year = entered.entry.year
    if not entered.changed:
        return [("info", _("The %(year)d schedule in force is the same; nothing changed.", year=year))]
    recounted = ngettext(
        "%(num)d open case's deadline was recounted.",
        "%(num)d open cases' deadlines were recounted.",
        entered.recounted,
    )
    entered_text = _("The %(year)d holiday schedule is entered; deadlines follow it.", year=year)
    return [("success", entered_text), ("info", recounted)]


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
def calendar_year(year: int):
    year = _calendar_year(year)
    if request.method == "GET":
        return _render_calendar(year)

    def enter(form):
        schedule = holidays.read_schedule(_schedule_data(year, form))
        return holidays.enter_schedule(current_user, schedule, source="page")

    render = lambda f, status: _render_calendar(year, form=f, status=status)
    return _submit_schedule(forms.CalendarForm(), render, enter)


@bp.post("/calendar/<int:year>/import")
def calendar_import(year: int):
    year = _calendar_year(year)

    def enter(form):
        if not form.file.data:
            raise refusals.InvalidInput(refusals.N_("Choose a JSON file to import."), "file")
        raw = form.file.data.read(holidays.FILE_LIMIT + 1)
        return holidays.import_schedule(current_user, raw, source="file")

    render = lambda f, status: _render_calendar(year, import_form=f, status=status)
    return _submit_schedule(forms.CalendarImportForm(), render, enter)


def _submit_schedule(form, render: Callable, enter: Callable):
    """Enter a schedule (`enter(form)`) through web.submit; flash what changed; go to the entered year."""
    entered = []

    def action(f):
        entered.append(enter(f))
        return _entered_messages(entered[0])

    return web.submit(form, render, action, lambda: url_for("admin.calendar_year", year=entered[0].entry.year))


@bp.get("/calendar/<int:year>.json")
def calendar_export(year: int):
    data = holidays.export_schedule(_calendar_year(year)) or abort(404)
    response = current_app.response_class(holidays.schedule_json(data), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="holidays-{year}.json"'
    return response
