"""Forms of one's own account. They carry only the CSRF token: the row is named in the address."""

from flask_wtf import FlaskForm


class EndSessionsForm(FlaskForm):
    """End one session, or all but this one."""
