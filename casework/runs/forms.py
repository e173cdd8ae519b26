"""Forms of the runs pages. They only parse input; the rules are in casework/intake."""

from contextlib import suppress

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, ValidationError

from ..refusals import N_

TICK_REPLIES = N_("Tick the replies you entered on the platform.")


class TickedRows(SelectMultipleField):
    """The ids of the rows ticked in a list: at least one, each a whole number. Whatever is wrong (nothing
    ticked, a tick that is not an id) is told one way, `message` (an English msgid)."""

    def __init__(self, message: str, **kwargs):
        super().__init__(coerce=int, validate_choice=False, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        with suppress(ValueError):  # a tick that is not an id leaves no ids: refused below, like no tick
            super().process_formdata(valuelist)

    def pre_validate(self, form):
        if not self.data:
            raise ValidationError(gettext(self.message))


class ConfirmRepliesForm(FlaskForm):
    reply_ids = TickedRows(TICK_REPLIES)
