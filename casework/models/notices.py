"""Notifications (通知) and the channels that carry them beyond the app, the reminders sent, and the claims
that make a periodic job run once across schedulers.

A Notification is written by a service in the transaction of the event that causes it (casework.notices).
With it, one Delivery per channel beyond the app that the recipient takes: the channels' outbox, sent later
by the sender job (never inside a request), each delivery once, retried up to a limit.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cases import Case, _in
from .org import User
from .types import UTCDateTime, utcnow

# Channels beyond the app: the browser's Web Push, the group robots of WeChat Work (企业微信) and DingTalk
# (钉钉), and an SMS gateway. Each is set up per deployment; each user picks per channel (ChannelChoice).
CHANNELS = ("webpush", "wecom", "dingtalk", "sms")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")
DEADLINE_KINDS = ("ack", "due")  # the acknowledgement deadline (签收) and the due time (办理时限)
REMINDER_STAGES = ("warning", "overdue")  # 黄牌: the deadline is near; 红牌: it has passed
JOB_RUN_STATUSES = ("running", "ok", "failed")


class Notification(db.Model):
    """One notice to one person: what happened (kind, a key of casework.notices.KINDS), to which case, with the
    words that came with it (a reason, a note), when; read_at once the recipient has read it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_unread", "recipient_id", "read_at", "id"),  # the bell's count
        Index("ix_notifications_recipient", "recipient_id", "id"),  # the list, newest first
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (intake, reminders)
    text: Mapped[str] = mapped_column(Text, default="")  # the reason or note that came with the event
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # what the words of the kind need (a number, a time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    case: Mapped[Case | None] = relationship()


class Delivery(db.Model):
    """The channels' outbox: one notification to go out by one channel to one target (a push subscription's
    endpoint, a group robot, a mobile number). Claimed (pending → sending) before it is sent, so that two
    senders never send it twice; retried until `attempts` reaches the limit, then failed, shown to admins."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(Text, default="")  # an endpoint, a mobile number; "" for a group robot
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notification: Mapped[Notification] = relationship()


class PushSubscription(db.Model):
    """One browser (a phone, a desktop) that subscribed to Web Push for its user: the push service's endpoint
    and the keys to encrypt for it. Removed when the push service answers 404 or 410 (it has expired)."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ChannelChoice(db.Model):
    """A user's choice for one channel beyond the app; no row: the deployment's default for that channel."""

    __tablename__ = "channel_choices"
    __table_args__ = (CheckConstraint(_in("channel", CHANNELS), name="channel"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    enabled: Mapped[bool]


class ReminderSent(db.Model):
    """A reminder (黄牌 warning, 红牌 overdue) sent for one deadline of one case. The deadline's value is part of
    the key: an extension moves the due time, and the warning for the new one is sent again."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("case_id", "deadline", "stage", "deadline_at", name="uq_reminders_sent_once"),
        CheckConstraint(_in("deadline", DEADLINE_KINDS), name="deadline"),
        CheckConstraint(_in("stage", REMINDER_STAGES), name="stage"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    deadline: Mapped[str] = mapped_column(String(5))
    stage: Mapped[str] = mapped_column(String(10))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


MANUAL_KEY_PREFIX = "manual-"  # a run started by hand has a key no schedule uses


class JobRun(db.Model):
    """One run of a periodic job other than the intake (reminders, the notification sender, backups). The unique
    (job, slot_key) is the claim, as an intake run's slot_key is: two schedulers never both run a slot."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot_key", name="uq_job_runs_slot"),
        CheckConstraint(_in("status", JOB_RUN_STATUSES), name="status"),
        Index("ix_job_runs_job_started", "job", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    slot_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # what the run did, in counts
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def by_hand(self) -> bool:
        """Started by a command, not a schedule: its key is a manual one (job_runs.manual_key), not a slot."""
        return self.slot_key.startswith(MANUAL_KEY_PREFIX)
