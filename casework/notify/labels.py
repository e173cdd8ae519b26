"""The channels' names as people read them."""

from flask_babel import lazy_gettext as _l

CHANNEL_LABELS = {
    "webpush": _l("Web Push"),
    "wecom": _l("WeChat Work group"),
    "dingtalk": _l("DingTalk group"),
    "sms": _l("SMS"),
}
