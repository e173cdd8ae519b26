"""Intake bookkeeping: scheduled runs and their slot claims, rejected rows, the feed cursor, the outbox."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cases import Case, _in
from .org import User
from .types import UTCDateTime, utcnow


class IntakeRun(db.Model):
    """One intake run. Its unique slot_key is the claim: two schedulers can't both run a slot."""

    __tablename__ = "intake_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'ok', 'failed')", name="status"),
        Index("ix_intake_runs_started", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_key: Mapped[str] = mapped_column(String(80), unique=True)  # e.g. 2026-11-30T08:30+08:00
    trigger: Mapped[str] = mapped_column(String(10))  # schedule | startup | manual
    source: Mapped[str] = mapped_column(String(20), default="")  # inbox | feed | inbox+feed
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    replies_sent: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Touched by the run while it works: another run takes over only once this has gone stale (0010).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    started_by: Mapped[User | None] = relationship()


class RejectedRow(db.Model):
    """A row that could not be imported, kept with where it came from and why, to correct and re-import."""

    __tablename__ = "rejected_rows"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'imported', 'dismissed')", name="status"),
        Index("ix_rejected_rows_status", "status", "id"),
        # The same raw row from the same source is kept once, however often it is read again (0010).
        Index("uq_rejected_rows_source_digest", "source_name", "digest", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("intake_runs.id"))
    source_name: Mapped[str] = mapped_column(String(200))  # file name, or "feed"
    line: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)  # the row's fields as read
    digest: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the raw row and its line (NULL before 0010)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # set once re-imported
    # The dispatcher who re-imported or dismissed the row, and when (NULL for rows decided before 0005).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[IntakeRun | None] = relationship()
    decided_by: Mapped[User | None] = relationship()


class ProcessedFile(db.Model):
    """An inbox file once processed, known by its content: the same bytes are never ingested again,
    whatever they are called; the name it came in under is kept here, whatever it was stored as."""

    __tablename__ = "processed_files"
    __table_args__ = (CheckConstraint("outcome IN ('imported', 'refused')", name="outcome"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(Text)  # as it came into the inbox
    stored_as: Mapped[str] = mapped_column(Text, default="")  # where it was moved, relative to the inbox
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)  # a refused file's msgid
    rows: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("intake_runs.id"))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[IntakeRun | None] = relationship()


class IntakeState(db.Model):
    """Small named values the intake keeps between runs (the feed cursor)."""

    __tablename__ = "intake_state"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Reply(db.Model):
    """The outbox: a resolved order's reply to the platform, written with the resolution, sent once."""

    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_pending", "sent_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    order_no: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)  # {"result", "resolved_at", "handler"}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_via: Mapped[str | None] = mapped_column(String(10))  # feed | manual (entered by staff from the CSV)

    case: Mapped[Case] = relationship()


EXTENSION_STATUSES = ("pending", "granted", "refused", "lapsed")


class ExtensionRequest(db.Model):
    """延期: a cadre asks for more time before the due time; a dispatcher grants or refuses.

    A request still waiting when the case leaves its cadre (returned, reassigned, escalated, resolved)
    lapses: decided_by/decided_at say who moved the case and when, decision_note names that action."""

    __tablename__ = "extension_requests"
    __table_args__ = (CheckConstraint(_in("status", EXTENSION_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    working_days: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
