"""Accounts kept as trusted systems keep them: sessions held on the server, a second factor, a login audit."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User
from .types import UTCDateTime, append_only, utcnow


class UserSession(db.Model):
    """A signed-in browser. The cookie carries only a random key; the row (found by the key's SHA-256, so
    that a copy of the table opens no session) holds who, since when, last seen, from where, and the
    session's data. Deleting the row ends the session: logout, a new password, deactivation, an admin's
    "sign out everywhere", or the idle and absolute limits."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id", "last_seen_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class RecoveryCode(db.Model):
    """One of a user's one-time recovery codes for the second factor, stored hashed; used once."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthEvent(db.Model):
    """The login audit, append-only like the case history: every login, failure, lock, unlock, logout,
    session ended, password change, second-factor enrolment, use of a recovery code and reset, with the
    time, the user (or the username tried), the address, and who acted when it was someone else (an admin).
    Failed logins counted here are also what throttling reads, so every worker sees the same counts."""

    __tablename__ = "auth_events"
    __table_args__ = (
        Index("ix_auth_events_username", "username", "at"),
        Index("ix_auth_events_ip", "ip", "at"),
        Index("ix_auth_events_at", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(40), default="")  # as typed (cleaned, cut), or the user's
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class AuditIsAppendOnly(Exception):
    """Raised when code tries to change or delete a written audit event."""


append_only(AuthEvent, AuditIsAppendOnly, "auth event")
