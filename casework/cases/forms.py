"""Action forms. They only parse input; whether an action is allowed is workflow.py's to say."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..display import OUTCOME_LABELS, SATISFACTION_LABELS

OUT_OF_DATE = _l("This form is out of date. Here is the case as it is now; try again.")


class VersionedForm(FlaskForm):
    """Carries the case version the user saw, so that acting on an outdated page is refused (409)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.version.errors:  # hidden: say it where the user looks
            self.form_errors.append(OUT_OF_DATE)
        return valid


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Cadre"), coerce=int, validate_choice=False)
    village = SelectField(_l("Village"), coerce=int, validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("Note for the cadre"))


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"))


class ResolveForm(VersionedForm):
    result = TextAreaField(_l("Result"))
    outcome = RadioField(_l("Outcome"), choices=list(OUTCOME_LABELS.items()), validate_choice=False)
    agreement_terms = TextAreaField(_l("Agreement terms (what, how, by when)"))
    performance_deadline = DateField(_l("Performance deadline"), validators=[Optional()])
    failure_route = TextAreaField(_l("Route the parties were told (arbitration, administrative, court)"))


class EscalateForm(VersionedForm):
    assignee = SelectField(_l("Mediator at the next tier"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Mediation notes so far"))


class CallbackForm(VersionedForm):
    solved = RadioField(_l("Solved?"), choices=[("yes", _l("Solved")), ("no", _l("Not solved"))], validate_choice=False)
    satisfaction = RadioField(_l("Satisfaction"), choices=list(SATISFACTION_LABELS.items()), validate_choice=False)
    note = TextAreaField(_l("Note"))


class NoteForm(VersionedForm):
    note = TextAreaField(_l("Note"))


class BulkAssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), validate_choice=False)
