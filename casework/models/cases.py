"""Cases: hotline orders (工单) and dispute cases (矛盾纠纷) share one table and one workflow."""

from datetime import date, datetime

from flask import current_app
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User, Village
from .types import UTCDateTime, append_only, utcnow

KINDS = ("order", "dispute")
STATES = ("received", "assigned", "resolved")
OPEN_STATES = ("received", "assigned")  # not resolved: spelt out so that SQL can use the (state, …) indexes
TIERS = ("village", "district", "centre")
ESCALATED_TIERS = ("district", "centre")  # above the village tier
OUTCOMES = ("settled", "failed", "withdrawn")
SATISFACTION = ("satisfied", "basic", "unsatisfied")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class _Named:
    """A hybrid built by a factory below takes the name it is given on Case (its SQL label, its repr)."""

    def __set_name__(self, owner, name: str) -> None:
        self.__name__ = name


class _RuleProperty(_Named, hybrid_property):
    pass


class _RuleMethod(_Named, hybrid_method):
    pass


def _among(column: str, values: tuple[str, ...]) -> hybrid_property:
    """The rule "`column` (a name on Case) holds one of `values`" in both forms: NULL is none of them."""

    def python(case) -> bool:
        return getattr(case, column) in values

    def sql(cls):
        return and_(getattr(cls, column).is_not(None), getattr(cls, column).in_(values))

    return _RuleProperty(python, expr=sql)


def _past(deadline: str, running: str) -> hybrid_method:
    """The rule "past its `deadline` at a moment `now`, while `running`" (two names on Case), in both forms."""

    def python(case, now: datetime) -> bool:
        return getattr(case, running) and getattr(case, deadline) < now

    def sql(cls, now: datetime):
        return and_(getattr(cls, running), getattr(cls, deadline) < now)

    return _RuleMethod(python, sql)


class Case(db.Model):
    """One case of either kind. Columns of the other kind stay NULL (checked below)."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint("state = 'received' OR assignee_id IS NOT NULL", name="assigned_has_assignee"),
        CheckConstraint(
            "state <> 'resolved' OR (resolved_at IS NOT NULL AND result IS NOT NULL)",
            name="resolved_has_result",
        ),
        CheckConstraint(
            "kind <> 'dispute' OR state <> 'resolved' OR outcome IS NOT NULL",
            name="resolved_dispute_has_outcome",
        ),
        CheckConstraint(f"tier IS NULL OR {_in('tier', TIERS)}", name="tier"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(
            f"callback_satisfaction IS NULL OR {_in('callback_satisfaction', SATISFACTION)}",
            name="callback_satisfaction",
        ),
        Index("ix_cases_received", "received_at", "id"),
        Index("ix_cases_state_received", "state", "received_at", "id"),
        Index("ix_cases_kind_state_received", "kind", "state", "received_at", "id"),
        Index("ix_cases_village_state_received", "village_id", "state", "received_at", "id"),
        Index("ix_cases_category_received", "category", "received_at", "id"),
        Index("ix_cases_assignee_state_due", "assignee_id", "state", "due_at"),
        Index("ix_cases_assignee_state_resolved", "assignee_id", "state", "resolved_at"),
        Index("ix_cases_state_due", "state", "due_at"),
        Index("ix_cases_state_ack_due", "state", "ack_due_at", "id"),  # new orders by acknowledgement deadline
        Index("ix_cases_kind_reopens", "kind", "reopen_count"),  # problem orders (问题工单)
        Index("ix_cases_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 工单编号 / 纠纷编号
    state: Mapped[str] = mapped_column(String(10), default="received")
    version: Mapped[int] = mapped_column(default=1)

    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(40), default="")  # 问题分类 / 纠纷类型
    content: Mapped[str] = mapped_column(Text)  # 诉求内容 / 纠纷简要情况
    address: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[str] = mapped_column(String(10), default="一般")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 办理时限
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first dispatch to a cadre
    result: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    extension_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Hotline order (工单)
    caller_name: Mapped[str] = mapped_column(String(40), default="")
    caller_phone: Mapped[str] = mapped_column(String(30), default="")
    request_type: Mapped[str] = mapped_column(String(10), default="")  # 诉求类型
    callback_solved: Mapped[bool | None]
    callback_satisfaction: Mapped[str | None] = mapped_column(String(12))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Dispute (矛盾纠纷)
    source: Mapped[str] = mapped_column(String(20), default="")  # 排查 / 来访 / 移交 / 12345工单
    tier: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(10))
    agreement_terms: Mapped[str | None] = mapped_column(Text)
    performance_deadline: Mapped[date | None] = mapped_column(Date)
    failure_route: Mapped[str | None] = mapped_column(String(200))  # 告知的仲裁/行政/诉讼途径
    origin_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The registering form's one-time key: a second submit of the same form (a double tap) finds this
    # case instead of registering another. Unique, so two submits at the same moment cannot both insert.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)

    village: Mapped[Village | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    parties: Mapped[list["Party"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.id"
    )
    events: Mapped[list["CaseEvent"]] = relationship(order_by="CaseEvent.id", viewonly=True)
    origin: Mapped["Case | None"] = relationship(remote_side=[id], back_populates="derived")
    derived: Mapped[list["Case"]] = relationship(back_populates="origin")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_order(self) -> bool:
        return self.kind == "order"

    @property
    def is_dispute(self) -> bool:
        return self.kind == "dispute"

    # The case rules. Each is one hybrid: its Python form answers for a loaded case, its SQL form (the
    # expression) selects the same cases in a query, never NULL, so that its negation is the rest of them.
    # Rules of one shape come from one factory (_among, _past). tests/test_case_rules.py pins that the forms agree.

    is_open = _among("state", OPEN_STATES)  # received or assigned: not resolved

    @hybrid_property
    def deadline_running(self) -> bool:
        """Open with a due time (办理时限) to meet: a resolved case's deadline no longer runs."""
        return self.is_open and self.due_at is not None

    @deadline_running.inplace.expression
    @classmethod
    def _deadline_running_sql(cls):
        return and_(cls.is_open, cls.due_at.is_not(None))

    overdue_at = _past("due_at", "deadline_running")  # still open after its due time at `now`

    @hybrid_property
    def awaiting_acknowledgement(self) -> bool:
        """An order waiting for its first dispatch (签收, what 响应率 counts) against an acknowledgement deadline.
        A returned order was acknowledged when it was first dispatched: it waits for no acknowledgement."""
        return self.state == "received" and self.acknowledged_at is None and self.ack_due_at is not None

    @awaiting_acknowledgement.inplace.expression
    @classmethod
    def _awaiting_acknowledgement_sql(cls):
        return and_(cls.state == "received", cls.acknowledged_at.is_(None), cls.ack_due_at.is_not(None))

    # 签收超时: still awaiting acknowledgement after its acknowledgement deadline at `now`
    ack_overdue_at = _past("ack_due_at", "awaiting_acknowledgement")

    @hybrid_property
    def is_problem_order(self) -> bool:
        """An order reopened PROBLEM_REOPENS (3) times or more: a problem order (问题工单, domain.md §1) for
        supervision (督办)."""
        return self.kind == "order" and self.reopen_count >= problem_reopens()

    @is_problem_order.inplace.expression
    @classmethod
    def _is_problem_order_sql(cls):
        return and_(cls.kind == "order", cls.reopen_count >= problem_reopens())

    escalated = _among("tier", ESCALATED_TIERS)  # a dispute held by the district's mediator or the centre's staff

    def __repr__(self) -> str:
        return f"<Case {self.kind} {self.number} {self.state} v{self.version}>"


def problem_reopens() -> int:
    """How many reopenings make an order a problem order: PROBLEM_REOPENS."""
    return int(current_app.config["PROBLEM_REOPENS"])


class Party(db.Model):
    """当事人 of a dispute."""

    __tablename__ = "dispute_parties"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[str] = mapped_column(String(20), default="")  # 申请人 / 被申请人 / 第三人

    case: Mapped[Case] = relationship(back_populates="parties")


class CaseEvent(db.Model):
    """One line of a case's history. Append-only: written with the change, never updated or deleted."""

    __tablename__ = "case_events"
    __table_args__ = (
        Index("ix_case_events_case", "case_id", "id"),
        Index("ix_case_events_at_action", "at", "action", "case_id"),  # statistics: a period's history
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (intake)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship()
    actor: Mapped[User | None] = relationship()

    @classmethod
    def receive_values(cls, at: datetime, actor_id: int | None = None, data: dict | None = None) -> dict:
        """The columns of an order's first line of history, 'receive': from no state to received, at the time
        the platform received it, by the intake unless `actor_id` is given. Without the case, so that a new
        CaseEvent(case=…) and a bulk insert of rows (case_id=…) are built from the same values."""
        return {
            "at": at,
            "actor_id": actor_id,
            "action": "receive",
            "from_state": None,
            "to_state": "received",
            "note": "",
            "data": data or {},
        }


class HistoryIsAppendOnly(Exception):
    """Raised when code tries to change or delete a written history event."""


append_only(CaseEvent, HistoryIsAppendOnly, "case event")
