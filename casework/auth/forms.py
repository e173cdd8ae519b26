from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    """A user's own new password: the current one, and the new one twice (casework.accounts checks them)."""

    current = PasswordField(_l("Current password"))
    new = PasswordField(_l("New password (at least 10 characters)"))
    repeated = PasswordField(_l("New password again"))
