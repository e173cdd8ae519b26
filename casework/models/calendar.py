"""The official holiday schedule (节假日安排) of a year, as administrators enter it from the State Council's notice."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cases import CaseEvent
from .org import User
from .types import UTCDateTime, utcnow

SCHEDULE_SOURCES = ("page", "file", "command")
# The history action of a deadline recounted after a year's schedule was entered or changed.
RECOUNT = "recount_deadline"


class HolidaySchedule(db.Model):
    """One entry of a year's schedule: its holidays ({"name", "from", "to"}, ISO dates) and make-up working days
    (调休上班, ISO dates). Append-only: a correction is a new entry, the latest of a year is in force, and every
    entry keeps who entered it (None: the command line), when, and how (SCHEDULE_SOURCES)."""

    __tablename__ = "holiday_schedules"
    __table_args__ = (
        CheckConstraint("source IN (" + ", ".join(repr(s) for s in SCHEDULE_SOURCES) + ")", name="source"),
        Index("ix_holiday_schedules_year", "year", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(10))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entered_by: Mapped[User | None] = relationship()


# The few recounted cases, found without reading the whole history: statistics ask for them to read a due
# time as it stood before a recount (stats.figures.due_as_of). The query must spell the same literal.
RECOUNTED_WHERE = text(f"action = '{RECOUNT}'")
Index(
    "ix_case_events_recounted",
    CaseEvent.case_id,
    sqlite_where=RECOUNTED_WHERE,
    postgresql_where=RECOUNTED_WHERE,
)
