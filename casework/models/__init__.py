"""All models, importable from one place."""

from .accounts import AuditIsAppendOnly, AuthEvent, RecoveryCode, UserSession
from .attachments import MEDIA_TYPES, Attachment
from .calendar import HolidaySchedule
from .cases import (
    ESCALATED_TIERS,
    KINDS,
    OPEN_STATES,
    OUTCOMES,
    SATISFACTION,
    STATES,
    TIERS,
    Case,
    CaseEvent,
    HistoryIsAppendOnly,
    Party,
)
from .intake import ExtensionRequest, IntakeRun, IntakeState, ProcessedFile, RejectedRow, Reply
from .notices import (
    CHANNELS,
    DEADLINE_KINDS,
    REMINDER_STAGES,
    ChannelChoice,
    Delivery,
    JobRun,
    Notification,
    PushSubscription,
    ReminderSent,
)
from .org import CASE_HANDLERS, ROLES, District, User, Village, user_villages
from .stats import StatsSnapshot
from .types import UTCDateTime, utcnow

__all__ = [
    "Attachment",
    "CHANNELS",
    "ChannelChoice",
    "DEADLINE_KINDS",
    "Delivery",
    "JobRun",
    "MEDIA_TYPES",
    "Notification",
    "PushSubscription",
    "REMINDER_STAGES",
    "ReminderSent",
    "AuditIsAppendOnly",
    "AuthEvent",
    "RecoveryCode",
    "UserSession",
    "CASE_HANDLERS",
    "ESCALATED_TIERS",
    "KINDS",
    "OPEN_STATES",
    "OUTCOMES",
    "ROLES",
    "SATISFACTION",
    "STATES",
    "TIERS",
    "Case",
    "CaseEvent",
    "ExtensionRequest",
    "IntakeRun",
    "IntakeState",
    "ProcessedFile",
    "RejectedRow",
    "Reply",
    "StatsSnapshot",
    "District",
    "HistoryIsAppendOnly",
    "HolidaySchedule",
    "Party",
    "User",
    "UTCDateTime",
    "Village",
    "user_villages",
    "utcnow",
]
