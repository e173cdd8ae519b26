"""Statistics kept once counted: a closed month's figures, which later work cannot change."""

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class StatsSnapshot(db.Model):
    """The figures `what` of one closed period, counted under the rules `rules` (a digest of the counting
    code) in `timezone`. `fingerprint` describes the cases received in the period when it was counted:
    an order imported late, or a dispute registered with an earlier date, changes it, and the figures
    are counted again."""

    __tablename__ = "stats_snapshots"
    __table_args__ = (UniqueConstraint("what", "period", "timezone", "rules"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(String(40))  # e.g. dashboard-overview
    period: Mapped[str] = mapped_column(String(10))  # 2026-10
    timezone: Mapped[str] = mapped_column(String(64))
    rules: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
