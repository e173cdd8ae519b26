"""Attachments (附件): photos of the work (现场照片) and a dispute agreement's PDF, kept with the history event
they came with. The file lives under CASEWORK_UPLOAD_DIR, named by its SHA-256 (content-addressed: the same
bytes are stored once); the row says what it is, who brought it, and when a photo was taken."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cases import Case, CaseEvent, _in
from .org import User
from .types import UTCDateTime, utcnow

MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class Attachment(db.Model):
    """One file of a case, with the history event (resolve, note, register, the agreement) it came with."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("media_type", MEDIA_TYPES), name="media_type"),
        Index("ix_attachments_case", "case_id", "id"),
        Index("ix_attachments_event", "event_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the stored file (metadata stripped)
    media_type: Mapped[str] = mapped_column(String(30))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    original_name: Mapped[str] = mapped_column(String(200), default="")  # as uploaded, cleaned; never trusted
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the photo's EXIF time, if any
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    event: Mapped[CaseEvent | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")
