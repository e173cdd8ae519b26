"""Forms of the intake screens: correcting a rejected row, dismissing it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

FIELD_LABELS = {
    "order_no": _l("Order number"),
    "received_at": _l("Received at"),
    "content": _l("Content"),
    "caller_name": _l("Caller"),
    "caller_phone": _l("Phone"),
    "request_type": _l("Request type"),
    "category": _l("Category"),
    "address": _l("Address"),
    "village": _l("Village"),
    "urgency": _l("Urgency"),
    "deadline": _l("Deadline"),
}


class RejectedRowForm(FlaskForm):
    """The row's fields as text, to correct before importing it again."""

    order_no = StringField(FIELD_LABELS["order_no"])
    received_at = StringField(FIELD_LABELS["received_at"])
    content = TextAreaField(FIELD_LABELS["content"])
    caller_name = StringField(FIELD_LABELS["caller_name"])
    caller_phone = StringField(FIELD_LABELS["caller_phone"])
    request_type = StringField(FIELD_LABELS["request_type"])
    category = StringField(FIELD_LABELS["category"])
    address = StringField(FIELD_LABELS["address"])
    village = StringField(FIELD_LABELS["village"])
    urgency = StringField(FIELD_LABELS["urgency"])
    deadline = StringField(FIELD_LABELS["deadline"])


class DismissForm(FlaskForm):
    """Only the CSRF token: dismissing takes no input."""
