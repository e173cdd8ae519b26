"""The statistics pages' words, in the reader's language.

The exports keep the township's report words (definitions.py, always Chinese); the pages show the
same figures under these labels, whose Chinese translations are those very words (a test holds the
two together)."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..display import REQUEST_TYPE_LABELS, TIER_LABELS
from . import definitions as d
from .figures import Group
from .periods import Month

ORDER_LABELS = {
    "received": _l("Orders received"),
    "ack_due": _l("Due for acknowledgement"),
    "ack_on_time": _l("Acknowledged on time"),
    "assigned": _l("Dispatched"),
    "resolved": _l("Orders resolved"),
    "resolved_on_time": _l("Resolved on time"),
    "open_past_due": _l("Open past due"),
    "returned": _l("Returned"),
    "reopened": _l("Orders reopened"),
    "extended": _l("Extended"),
    "callbacks": _l("Callbacks"),
    "callbacks_solved": _l("Callbacks: solved"),
    "callbacks_satisfied": _l("Satisfied or fairly satisfied"),
}
ORDER_RATE_LABELS = {
    "response_rate": _l("Response rate"),
    "solved_rate": _l("Solved rate"),
    "satisfaction_rate": _l("Satisfaction rate"),
    "on_time_rate": _l("On-time rate"),
}
DISPUTE_LABELS = {
    "received": _l("Disputes received"),
    "concluded": _l("Disputes concluded"),
    "settled": _l("Settled"),
    "failed": _l("Mediation failed"),
    "withdrawn": _l("Withdrawn"),
    "mediated": _l("Mediation ended"),
    "escalated": _l("Escalated"),
}
DISPUTE_RATE_LABELS = {"success_rate": _l("Mediation success rate")}
VILLAGE = _l("Village")
ORDER_DIM_LABELS = dict(
    village=VILLAGE, category=_l("Category"), request_type=_l("Request type"), cadre=_l("Village cadre")
)
DISPUTE_DIM_LABELS = dict(category=_l("Dispute type"), tier=_l("Mediation tier"), village=VILLAGE)

# A breakdown's row of the cases without a value for its dimension.
GROUP_LABELS = {
    "village": _l("(no village)"),
    "cadre": _l("(not dispatched)"),
    "category": _l("(no category)"),
    "request_type": _l("(no category)"),
}

# The pairs each label must match in Chinese (tests/test_stats_labels.py).
SAME_WORDS = [
    (ORDER_LABELS, d.ORDER_NAMES),
    (ORDER_RATE_LABELS, d.ORDER_RATE_NAMES),
    (DISPUTE_LABELS, d.DISPUTE_NAMES),
    (DISPUTE_RATE_LABELS, d.DISPUTE_RATE_NAMES),
    (ORDER_DIM_LABELS, d.ORDER_DIM_NAMES),
    (DISPUTE_DIM_LABELS, d.DISPUTE_DIM_NAMES),
    (GROUP_LABELS, d.NO_VALUE_NAMES),
]


def group_label(name: str):
    """A name from the data as the page shows it: the platform's request types translated (the case page's
    words); a village, category or cadre as it is."""
    return REQUEST_TYPE_LABELS.get(name, name)


def row_label(dim: str, group: Group):
    """A breakdown row's label: a tier in the case page's words, a name from the data (group_label), or the
    words for the cases without a value."""
    if not group.known:
        return GROUP_LABELS[dim]
    return TIER_LABELS.get(group.key, group.name) if dim == "tier" else group_label(group.name)


MONTH_ABBREVIATIONS = (
    _l("Jan"),
    _l("Feb"),
    _l("Mar"),
    _l("Apr"),
    _l("May"),
    _l("Jun"),
    _l("Jul"),
    _l("Aug"),
    _l("Sep"),
    _l("Oct"),
    _l("Nov"),
    _l("Dec"),
)


def month_label(month: Month) -> str:
    """'2026年10月' in Chinese, '2026-10' in English."""
    return gettext("%(year)d-%(month)02d", year=month.year, month=month.month)


def short_month_label(month: Month) -> str:
    """A chart's month: '10月' in Chinese, 'Oct' in English."""
    return str(MONTH_ABBREVIATIONS[month.month - 1])
