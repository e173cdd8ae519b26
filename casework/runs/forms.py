"""Forms of the runs pages. They only parse input; the rules are in casework/intake."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField


class ConfirmRepliesForm(FlaskForm):
    reply_ids = SelectMultipleField(coerce=int, validate_choice=False)
