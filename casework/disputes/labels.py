"""The dispute's fixed lists as the reader reads them. The stored values stay the Chinese words the
platform, the mediation records and the reports use; each is shown through a label whose Chinese
translation is that same word, so the Chinese screens read as before and the English ones in English."""

from flask_babel import lazy_gettext as _l

SOURCE_LABELS = {
    "排查": _l("Screening"),
    "来访": _l("Walk-in"),
    "移交": _l("Referral"),
    "12345工单": _l("12345 hotline order"),
    "其他": _l("Other source"),
}
PARTY_ROLE_LABELS = {
    "申请人": _l("Applicant"),
    "被申请人": _l("Respondent"),
    "第三人": _l("Third party"),
}


def label(labels: dict, value: str) -> str:
    """The label of a stored value; a value not in the list (an older or configured one) as it is."""
    return labels.get(value, value)
