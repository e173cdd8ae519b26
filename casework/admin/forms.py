"""Administration forms. They only parse input; the rules are casework.people's to enforce."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..display import ROLE_LABELS

HOLIDAY_ROWS = 10  # the notice names seven holidays; a spare row or three for a combined or special one


class CheckboxesField(SelectMultipleField):
    """Several choices as ticks: easier on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    name = StringField(_l("Name"))
    phone = StringField(_l("Phone"))
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()), validate_choice=False)
    villages = CheckboxesField(_l("Villages served (cadres only)"), coerce=int, validate_choice=False)


class UserCreateForm(PersonForm):
    username = StringField(_l("Username"))
    password = PasswordField(_l("Password (at least 10 characters; to be changed at the first login)"))


class UserEditForm(PersonForm):
    active = BooleanField(_l("Active (may log in)"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password (at least 10 characters; to be changed at the next login)"))


class VillageForm(FlaskForm):
    name = StringField(_l("Village name"))
    aliases = StringField(_l("Other names, comma-separated (for matching addresses)"))
    district = SelectField(_l("Mediation district"), coerce=int, validate_choice=False)
    default_cadre = SelectField(_l("Default cadre"), coerce=int, validate_choice=False)


class DistrictForm(FlaskForm):
    name = StringField(_l("District name"))
    mediator = SelectField(_l("Mediator"), coerce=int, validate_choice=False)


class HolidayRowForm(Form):
    """One holiday of the notice: its name and its first and last day off (YYYY-MM-DD, as date inputs send)."""

    name = StringField(_l("Holiday"))
    first = StringField(_l("From"))
    last = StringField(_l("To"))


class CalendarForm(FlaskForm):
    """A year's schedule (节假日安排); casework.holidays checks it."""

    holidays = FieldList(FormField(HolidayRowForm), min_entries=HOLIDAY_ROWS, max_entries=HOLIDAY_ROWS)
    workdays = TextAreaField(_l("Make-up working days (调休上班), one date per line"))


class CalendarImportForm(FlaskForm):
    file = FileField(_l("A schedule as JSON"))


class UnlockForm(FlaskForm):
    """Lift the lock on a username, or on an address, after too many failed logins (casework.throttle)."""

    username = StringField(_l("Username"))
    ip = StringField(_l("Address (IP)"))


class TwoFactorResetForm(FlaskForm):
    """A button: remove a person's second factor (casework.second_factor.reset); only its CSRF token is posted."""
