"""All models, importable from one place."""

from .calendar import HolidaySchedule
from .cases import (
    KINDS,
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
from .org import ROLES, District, User, Village, user_villages
from .stats import StatsSnapshot
from .types import UTCDateTime, utcnow

__all__ = [
    "KINDS",
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
