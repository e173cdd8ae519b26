"""The statistics pages' words, in the reader's language.

The exports keep the township's report words (definitions.py, always Chinese); the pages show the
same figures under these labels, whose Chinese translations are those very words (a test holds the
two together)."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..display import REQUEST_TYPE_LABELS, TIER_LABELS
from . import definitions as d
from . import figures as fg
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
ORDER_DIM_LABELS = {
    "village": _l("Village"),
    "category": _l("Category"),
    "request_type": _l("Request type"),
    "cadre": _l("Village cadre"),
}
DISPUTE_DIM_LABELS = {"category": _l("Dispute type"), "tier": _l("Mediation tier"), "village": _l("Village")}

# Group names the figures give when a case has no value, and the tiers: shown translated.
GROUP_LABELS = {
    fg.NO_VILLAGE: _l("(no village)"),
    fg.NO_CADRE: _l("(not dispatched)"),
    fg.NO_CATEGORY: _l("(no category)"),
    **{name: TIER_LABELS[tier] for tier, name in fg.TIER_NAMES.items()},  # the case page's words
    d.TOTAL: _l("Total"),
}

# The pairs each label must match in Chinese (tests/test_stats_labels.py).
SAME_WORDS = [
    (ORDER_LABELS, d.ORDER_NAMES),
    (ORDER_RATE_LABELS, d.ORDER_RATE_NAMES),
    (DISPUTE_LABELS, d.DISPUTE_NAMES),
    (DISPUTE_RATE_LABELS, d.DISPUTE_RATE_NAMES),
    (ORDER_DIM_LABELS, d.ORDER_DIM_NAMES),
    (DISPUTE_DIM_LABELS, d.DISPUTE_DIM_NAMES),
]


def group_label(name: str):
    """A breakdown row's name: the figures' own names and the platform's request types translated;
    a village, category or cadre as it is."""
    return GROUP_LABELS.get(name) or REQUEST_TYPE_LABELS.get(name, name)


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
