"""How things look on screen: local time, masked phones, labels, time left. Registered on Jinja."""

from datetime import datetime

from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from . import deadlines, notices, permissions, workflow
from .clock import localtime
from .disputes import labels as dispute_labels
from .models import Case, utcnow

STATE_LABELS = {"received": _l("Received"), "assigned": _l("Assigned"), "resolved": _l("Resolved")}
KIND_LABELS = {"order": _l("Hotline order"), "dispute": _l("Dispute")}
# The three tiers of mediation (三级调解) in the domain's words, as the statistics and exports name them.
TIER_LABELS = {
    "village": _l("Village mediation"),
    "district": _l("District mediation"),
    "centre": _l("Township centre"),
}
OUTCOME_LABELS = {
    "settled": _l("Settled with agreement"),
    "failed": _l("Mediation failed"),
    "withdrawn": _l("Withdrawn"),
}
# The platform's own words for an order's request type and urgency (domain.md §1), stored as they come:
# shown through labels whose Chinese is the word itself, so the Chinese screens show the platform's word.
REQUEST_TYPE_LABELS = {
    "咨询": _l("Consultation"),
    "求助": _l("Help request"),
    "投诉": _l("Complaint"),
    "举报": _l("Report"),
    "建议": _l("Suggestion"),
    "感谢": _l("Thanks"),
    "其他": _l("Other"),
}
URGENCY_LABELS = {"一般": _l("Normal"), "紧急": _l("Urgent"), "特急": _l("Very urgent")}
SATISFACTION_LABELS = {
    "satisfied": _l("Satisfied"),
    "basic": _l("Basically satisfied"),
    "unsatisfied": _l("Not satisfied"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "dispatcher": _l("Dispatcher"),
    "cadre": _l("Village cadre"),
    "leader": _l("Leader"),
}


def mask_phone(phone: str | None) -> str:
    """138****5678: a mobile keeps its first three and last four digits; a shorter number its last two.
    An extension (after 转, as intake writes it) is kept: it is the office's, not the caller's line."""
    digits, extension, rest = (phone or "").strip().partition("转")
    if extension:
        return f"{mask_phone(digits)}转{rest}"
    if len(digits) >= 11:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else "*" * len(digits)


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def time_left(case: Case, now: datetime | None = None) -> str:
    if not case.deadline_running:
        return ""
    delta = case.due_at - (now or utcnow())
    hours = int(abs(delta).total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    text = (ngettext("%(num)d day", "%(num)d days", days) + " " if days else "") + ngettext(
        "%(num)d hour", "%(num)d hours", hours
    )
    return gettext("%(t)s left", t=text) if delta.total_seconds() >= 0 else gettext("%(t)s overdue", t=text)


def ack_left(case: Case, now: datetime | None = None) -> str:
    """'Acknowledge within 25 minutes' / 'Acknowledgement 1 hour 5 minutes overdue'; '' when none is awaited."""
    if not case.awaiting_acknowledgement:
        return ""
    delta = case.ack_due_at - (now or utcnow())
    text = _span_in_minutes(abs(delta).total_seconds())
    if delta.total_seconds() >= 0:
        return gettext("Acknowledge within %(t)s", t=text)
    return gettext("Acknowledgement %(t)s overdue", t=text)


def _span_in_minutes(seconds: float) -> str:
    """Days and hours, or hours and minutes under a day, or minutes under an hour: as precise as it matters."""
    minutes = int(seconds // 60)
    (days, hours), minutes = divmod(minutes // 60, 24), minutes % 60
    if days:
        parts = [ngettext("%(num)d day", "%(num)d days", days)] + ([_hours(hours)] if hours else [])
    elif hours:
        parts = [_hours(hours)] + ([ngettext("%(num)d minute", "%(num)d minutes", minutes)] if minutes else [])
    else:
        parts = [ngettext("%(num)d minute", "%(num)d minutes", minutes)]
    return " ".join(parts)


def _hours(hours: int) -> str:
    return ngettext("%(num)d hour", "%(num)d hours", hours)


def init_app(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")
    app.jinja_env.filters.update(localtime=localtime, mask_phone=mask_phone, mask_name=mask_name)
    app.jinja_env.globals.update(
        can=permissions,
        allowed_actions=workflow.allowed_actions,
        urgency_of=deadlines.due_state,  # 'overdue', 'due-soon', 'on-time' or 'none', worked out when read
        time_left=time_left,
        ack_state_of=deadlines.ack_state,  # the same of the acknowledgement (签收) deadline
        ack_left=ack_left,
        STATE_LABELS=STATE_LABELS,
        KIND_LABELS=KIND_LABELS,
        TIER_LABELS=TIER_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        SATISFACTION_LABELS=SATISFACTION_LABELS,
        ACTION_LABELS=workflow.ACTION_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        REQUEST_TYPE_LABELS=REQUEST_TYPE_LABELS,
        URGENCY_LABELS=URGENCY_LABELS,
        SOURCE_LABELS=dispute_labels.SOURCE_LABELS,
        PARTY_ROLE_LABELS=dispute_labels.PARTY_ROLE_LABELS,
        label=dispute_labels.label,
        get_locale=get_locale,
        sentence=notices.sentence,  # what a notification says, in the reader's words
        unread_notices=notices.unread_count,  # the bell's count: one indexed COUNT, asked by base.html alone
    )
