"""All models, importable from one place."""

from .accounts import AuditIsAppendOnly, AuthEvent, RecoveryCode, UserSession
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
from .org import CASE_HANDLERS, ROLES, District, User, Village, user_villages
from .stats import StatsSnapshot
from .types import UTCDateTime, utcnow

__all__ = [
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
