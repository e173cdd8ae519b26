"""Notifications (通知): written in the transaction of the event that causes them, with their deliveries.

`notify` is the one writer: a Notification for the recipient, and with it one Delivery per channel beyond
the app that the deployment has set up and the recipient takes (casework.notify sends them later, never
inside a request). Services call it (the workflow's, the intake's, the reminders'); views never do. It
flushes nothing and commits nothing: the caller's transaction carries it with the change. A run that writes
many notices wraps them in `remembering_audiences()`, so that each recipient's channels are read once.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select, update

from .extensions import db
from .ids import row_id
from .models import CHANNELS, Case, ChannelChoice, Delivery, Notification, PushSubscription, User, utcnow
from .refusals import N_

# What each kind of notice says, as an English msgid with the names of `Notification.data` it takes; shown in the
# reader's language (the list, the bell) and in the deployment's (the channels). "text" (a reason, a note)
# follows on its own line.
KINDS = {
    "assigned": N_("Case %(number)s was assigned to you."),
    "reassigned_away": N_("Case %(number)s was given to %(assignee)s."),
    "returned": N_("%(actor)s returned case %(number)s."),
    "extension_asked": N_("%(actor)s asks for %(days)s more working days on case %(number)s."),
    "extension_granted": N_("Your extension of case %(number)s was granted: now due %(due)s."),
    "extension_refused": N_("Your extension of case %(number)s was refused."),
    "reopened": N_("Case %(number)s was reopened."),
    "escalated": N_("Case %(number)s was escalated to you."),
    "urged": N_("%(actor)s urges you to act on case %(number)s."),
    "reply_failing": N_("The reply of order %(number)s to the platform keeps failing."),
    "intake_failed": N_("The intake run of %(time)s failed."),
    "ack_warning": N_("Case %(number)s must be acknowledged by %(deadline)s."),
    "ack_overdue": N_("Case %(number)s was not acknowledged by %(deadline)s."),
    "due_warning": N_("Case %(number)s is due %(deadline)s."),
    "due_overdue": N_("Case %(number)s is overdue since %(deadline)s."),
}


def notify(
    recipient: User,
    kind: str,
    *,
    case: Case | None = None,
    actor: User | None = None,
    text: str = "",
    at: datetime | None = None,
    **data,
) -> Notification | None:
    """Tell `recipient` that `kind` happened (to `case`, by `actor`), in the caller's transaction. None when there
    is no one to tell: nobody, an inactive account, or the actor themselves (one does not notify oneself)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if recipient is None or not recipient.active or (actor is not None and actor.id == recipient.id):
        return None
    if case is not None:
        data.setdefault("number", case.number)
    if actor is not None:
        data.setdefault("actor", actor.name)
    notice = Notification(
        recipient=recipient,
        kind=kind,
        case=case,
        actor=actor,
        text=text or "",
        data={k: v for k, v in data.items() if v is not None},
        created_at=at or utcnow(),
    )
    db.session.add(notice)
    db.session.add_all(_deliveries(notice, recipient))
    return notice


def notify_dispatchers(kind: str, **kwargs) -> list[Notification]:
    """`notify` every active dispatcher."""
    dispatchers = _remembered(("dispatchers",), _active_dispatchers)
    return [n for d in dispatchers if (n := notify(d, kind, **kwargs)) is not None]


def _active_dispatchers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "dispatcher", User.active.is_(True))))


_MEMO = "casework.notices.audiences"


@contextmanager
def remembering_audiences():
    """Within it, `notify` reads the active dispatchers, and each recipient's channels and browsers, once
    instead of at every notice: for a run that writes many notices and changes nobody's channels (a batch
    of reminders). Forgotten when it ends; one opened inside another shares the outer's memory."""
    if _MEMO in db.session.info:
        yield
        return
    db.session.info[_MEMO] = {}
    try:
        yield
    finally:
        db.session.info.pop(_MEMO, None)


def _remembered(key: tuple, read: Callable):
    """What `read()` returns, read once per key inside `remembering_audiences`, at every call outside it."""
    memory = db.session.info.get(_MEMO)
    if memory is None:
        return read()
    if key not in memory:
        memory[key] = read()
    return memory[key]


def configured_channels() -> tuple[str, ...]:
    """The channels beyond the app this deployment has set up, in CHANNELS' order."""
    config = current_app.config
    ready = {
        "webpush": bool(config.get("WEBPUSH_ENABLED")),
        "wecom": bool(config.get("WECOM_WEBHOOK_URL")),
        "dingtalk": bool(config.get("DINGTALK_WEBHOOK_URL")),
        "sms": bool(config.get("SMS_GATEWAY_URL")),
    }
    return tuple(c for c in CHANNELS if ready[c])


def chosen_channels(user: User) -> tuple[str, ...]:
    """The configured channels `user` takes: their own choice where they made one, else the default."""
    query = select(ChannelChoice.channel, ChannelChoice.enabled).where(ChannelChoice.user_id == user.id)
    choices = {channel: enabled for channel, enabled in db.session.execute(query)}
    defaults = current_app.config.get("NOTIFY_DEFAULT_CHANNELS", ())
    return tuple(c for c in configured_channels() if choices.get(c, c in defaults))


def _deliveries(notice: Notification, recipient: User):
    """A Delivery per channel the recipient takes: one per subscribed browser for Web Push, one group message
    (mentioning the recipient's mobile) per robot, one text to the recipient's mobile for SMS."""
    for channel in _remembered(("channels", recipient.id), lambda: chosen_channels(recipient)):
        if channel == "webpush":
            for sub_id, endpoint in _remembered(("browsers", recipient.id), lambda: _browsers(recipient)):
                yield Delivery(notification=notice, channel=channel, target=endpoint, subscription_id=sub_id)
        elif channel == "sms":
            if recipient.phone:
                yield Delivery(notification=notice, channel=channel, target=recipient.phone)
        else:
            yield Delivery(notification=notice, channel=channel, target=recipient.phone or "")


def _browsers(user: User) -> list[tuple[int, str]]:
    """The (id, endpoint) of each browser `user` subscribed to Web Push."""
    query = select(PushSubscription.id, PushSubscription.endpoint).where(PushSubscription.user_id == user.id)
    return [(sub_id, endpoint) for sub_id, endpoint in db.session.execute(query)]


# --- what a notice says ---------------------------------------------------------------------------


class _Words(dict):
    """A notice's data for its kind's sentence; a name the data lacks (a notice written before the words
    changed) shows as a dash instead of breaking the page."""

    def __missing__(self, key: str) -> str:
        return "—"


def sentence(notice: Notification) -> str:
    """What the notice says, in the current locale (a request's reader's, or a `force_locale`'s): its kind's
    sentence with its data. The one wording of a notice, for the list and for every channel."""
    msgid = KINDS.get(notice.kind)
    if msgid is None:
        return notice.kind
    return gettext(msgid) % _Words(notice.data or {})


def message(notice: Notification) -> str:
    """The sentence, and the reason or note that came with it on a line of its own: what a channel sends."""
    return f"{sentence(notice)}\n{notice.text}" if notice.text else sentence(notice)


# --- reading one's own notices ----------------------------------------------------------------------

PAGE_SIZE = 30


@dataclass
class NoticesPage:
    notices: list[Notification]
    newer: int | None = None  # cursor for the newer page: `after` this id
    older: int | None = None  # cursor for the older page: `before` this id


BELL_MAX = 100  # the bell shows "99+" from 100 on: counting further would be work on every page for nothing


def unread_count(reader: User, *, at_most: int = BELL_MAX) -> int:
    """How many of the reader's notices are unread, counted up to `at_most` only (warnings that go to every
    dispatcher can pile up by the hundred thousand): one COUNT over a LIMITed scan of
    ix_notifications_recipient_unread."""
    unread = (
        select(Notification.id)
        .where(Notification.recipient_id == reader.id, Notification.read_at.is_(None))
        .limit(at_most)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(unread))


def notices_page(
    reader: User, *, unread_only: bool = False, after=None, before=None, limit: int = PAGE_SIZE
) -> NoticesPage:
    """One page of the reader's own notices, newest first. Keyset on (recipient, id): `before` an id, the
    older ones; `after` an id, the newer ones; a cursor that can be no id is ignored."""
    mine = select(Notification).where(Notification.recipient_id == reader.id)
    if unread_only:
        mine = mine.where(Notification.read_at.is_(None))
    after, before = row_id(after), row_id(before)
    if after and not before:
        rows = db.session.scalars(mine.where(Notification.id > after).order_by(Notification.id).limit(limit + 1)).all()
        more_newer, rows = len(rows) > limit, list(reversed(rows[:limit]))
        return NoticesPage(rows, rows[0].id if more_newer else None, rows[-1].id if rows else None)
    if before:
        mine = mine.where(Notification.id < before)
    rows = db.session.scalars(mine.order_by(Notification.id.desc()).limit(limit + 1)).all()
    older = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    return NoticesPage(rows, rows[0].id if before and rows else None, older)


def own_notice(reader: User, notice_id) -> Notification | None:
    """The reader's notice of that id; None for another's, or for an id that names no row."""
    known = row_id(notice_id)
    notice = db.session.get(Notification, known) if known else None
    return notice if notice is not None and notice.recipient_id == reader.id else None


def mark_read(reader: User, notice: Notification, at: datetime | None = None) -> None:
    """The reader has read their notice (a notice read before keeps its first reading)."""
    if notice.recipient_id != reader.id:
        raise ValueError("a notice is marked read only by its recipient")
    notice.read_at = notice.read_at or at or utcnow()
    db.session.flush()


def mark_all_read(reader: User, at: datetime | None = None) -> int:
    """Every unread notice of the reader is read, in one UPDATE; how many were."""
    statement = (
        update(Notification)
        .where(Notification.recipient_id == reader.id, Notification.read_at.is_(None))
        .values(read_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount
