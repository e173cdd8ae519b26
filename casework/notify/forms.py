"""The forms of the notification pages: one's channel switches, and the one-button forms (a device removed,
a delivery retried or dismissed), which carry only the CSRF token: the row is named in the address."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from ..models import CHANNELS


class ChannelsForm(FlaskForm):
    """A switch per channel beyond the app; the page shows those the deployment has set up."""

    webpush = BooleanField(_l("Push notifications to my phone or computer (Web Push)"))
    wecom = BooleanField(_l("Mention me in the WeChat Work group"))
    dingtalk = BooleanField(_l("Mention me in the DingTalk group"))
    sms = BooleanField(_l("Text messages (SMS) to my mobile number"))

    def chosen(self) -> set[str]:
        return {channel for channel in CHANNELS if self[channel].data}


class ButtonForm(FlaskForm):
    """A button: remove a device, retry or dismiss a delivery."""
