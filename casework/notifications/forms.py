"""The buttons of the notifications list. They carry only the CSRF token: the notice is named in the address."""

from flask_wtf import FlaskForm


class ReadForm(FlaskForm):
    """Open a notice (marked read, then its case), mark one read, or mark them all read."""
