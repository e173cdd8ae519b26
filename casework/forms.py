"""What the forms of several blueprints share: a form of an action on a case, which carries the version of the
case it was shown with, and how a select offers people and no choice at all."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

OUT_OF_DATE = _l("This form is out of date. Here is the case as it is now; try again.")
# The choice of none in a select of rows' ids (web.chosen_row reads 0 as none).
NONE_CHOSEN = (0, "—")


def person_label(user) -> str:
    """A person as a select offers them: the name, with the villages they serve, if any."""
    villages = "、".join(v.name for v in user.villages)
    return f"{user.name}（{villages}）" if villages else user.name


def photos_field() -> MultipleFileField:
    """The phone's camera or its pictures, several at once (checked by the attachments service, not here)."""
    return MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"})


class SaysOutOfDate:
    """Mixin of a form with a hidden `version` field: a problem with the version, which nobody would see at
    its field, is said above the form (OUT_OF_DATE)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.version.errors:
            self.form_errors.append(OUT_OF_DATE)
        return valid


class VersionedForm(SaysOutOfDate, FlaskForm):
    """A form of an action on a case. It carries the case version the user saw, so that acting on an outdated
    page is refused (409); it may offer choices that depend on the case, and it turns its fields into the
    keyword arguments of the action's service."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def fit(self, case) -> None:
        """Fill in what the form offers for this case (the people to choose from); nothing unless a form says."""

    def preselect(self, case) -> None:
        """Choose in advance, on a blank form, what is likely for this case; nothing unless a form says."""

    def asks(self, field, case) -> bool:
        """Whether the form asks for this field for this case; a field not asked still shows its messages."""
        return True

    def arguments(self) -> dict:
        """The service's keyword arguments: here the version the user saw; a form adds what its fields say."""
        return {"expected_version": self.version.data}
