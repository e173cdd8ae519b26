"""The dispute registration form. It only parses input; whether a dispute may be registered is workflow.py's to say."""

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import SaysOutOfDate, photos_field
from .labels import PARTY_ROLE_LABELS

PARTY_ROLES = tuple(PARTY_ROLE_LABELS)  # data, as the mediation records write them: 申请人, 被申请人, 第三人
MAX_PARTIES = 20
PARTY_ROWS_READ = 200  # rows parsed at most: more than MAX_PARTIES are refused but shown again, to be moved
# datetime-local sends 2026-11-30T08:15; a browser without it lets people type 2026-11-30 08:15
LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class PartyForm(FlaskForm):
    """One 当事人 row; a row without a name is left out (blank spare rows are normal).

    A FlaskForm, not a plain wtforms Form, so that WTForms' own messages ("Not a valid choice.") come
    in the reader's language as the rest of the form's do; the dispute form's token covers the row."""

    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[Length(max=40)])
    contact = StringField(_l("Contact"), validators=[Length(max=60)], render_kw={"type": "tel"})
    role = SelectField(_l("Role in the dispute"), choices=list(PARTY_ROLE_LABELS.items()), default=PARTY_ROLES[-1])

    def validate_contact(self, field):
        if (field.data or "").strip() and not (self.name.data or "").strip():
            raise ValidationError(_l("Give the name of this party, or clear the row."))


def new_submission_key() -> str:
    """A form's one-time key, made when the form is shown: sent twice, it registers one dispute."""
    return secrets.token_urlsafe(18)


class PartyRows(FieldList):
    """The party rows. WTForms keeps the first `max_entries` rows sent and drops the rest unseen; this
    counts the rows sent, so that validation refuses more than MAX_PARTIES instead, and max_entries is the
    generous PARTY_ROWS_READ so that the refused form still holds the extra names to move to the summary."""

    rows_sent = 0

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.rows_sent = len(set(self._extract_indices(self.name, formdata))) if formdata else len(self.entries)


class DisputeForm(FlaskForm):
    """登记: village, type, source, when received, address, summary, the parties and photos.

    The submission key is kept through every showing of the form (a refusal, another party row), so
    that whichever submit comes first registers and any other is told which dispute it was."""

    village = SelectField(_l("Village"), coerce=int, validate_choice=False, validators=[Optional()])
    category = SelectField(_l("Dispute type"))
    source = SelectField(_l("Source"))
    received_at = DateTimeLocalField(_l("Received (local time)"), format=LOCAL_TIME_FORMATS, validators=[Optional()])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    content = TextAreaField(_l("Summary of the dispute"))
    parties = PartyRows(FormField(PartyForm), min_entries=2, max_entries=PARTY_ROWS_READ)
    photos = photos_field()
    submission_key = HiddenField(
        default=new_submission_key, validators=[Length(max=40, message=_l("This form cannot be sent; open it again."))]
    )

    def can_add_party(self) -> bool:
        return len(self.parties.entries) < MAX_PARTIES

    def validate_parties(self, field: PartyRows) -> None:
        if field.rows_sent > MAX_PARTIES:
            raise ValidationError(
                _(
                    "At most %(max)d parties can be listed (%(sent)d rows were sent); name the others in the summary.",
                    max=MAX_PARTIES,
                    sent=field.rows_sent,
                )
            )


class ConvertForm(SaysOutOfDate, DisputeForm):
    """The same form for a hotline order: the source is the order itself, the version guards it."""

    source = None
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
