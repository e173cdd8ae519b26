"""The township's organisation: mediation districts, villages and the people who work them."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime

ROLES = ("admin", "dispatcher", "cadre", "leader")
CASE_HANDLERS = ("cadre", "dispatcher")  # the roles that hold, handle and mediate cases

user_villages = Table(
    "user_villages",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True),
)


class District(db.Model):
    """调解片区: a group of villages with a mediator for cases escalated from them."""

    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    villages: Mapped[list["Village"]] = relationship(back_populates="district", order_by="Village.name")
    mediator: Mapped["User | None"] = relationship(foreign_keys=[mediator_id])


class Village(db.Model):
    """村: cases are located in one; a default cadre (包村干部) takes its new orders."""

    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    aliases: Mapped[str] = mapped_column(String(200), default="")  # comma-separated, for address matching
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    default_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    district: Mapped[District | None] = relationship(back_populates="villages")
    default_cadre: Mapped["User | None"] = relationship(foreign_keys=[default_cadre_id])
    cadres: Mapped[list["User"]] = relationship(secondary=user_villages, back_populates="villages")


class User(db.Model):
    """A person with exactly one role; a cadre serves one or more villages."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN (" + ", ".join(repr(r) for r in ROLES) + ")", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin sets the password: the user chooses their own at the next login (0012).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An account of the demo township (demo-data): exempt from forced password changes and enrolment.
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    # TOTP second factor: the base32 key, and when it was confirmed (None: not enrolled).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    villages: Mapped[list[Village]] = relationship(
        secondary=user_villages, back_populates="cadres", order_by="Village.name"
    )

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What the session remembers: the id alone. Sessions are rows on the server (casework.sessions),
        and a new password or deactivation ends them by deleting the rows."""
        return str(self.id)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def village_ids(self) -> set[int]:
        return {v.id for v in self.villages}

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
