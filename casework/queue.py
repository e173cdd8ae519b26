"""The lists people work from: the dispatcher's queue and a cadre's own cases.

Keyset pagination, so page 20,000 costs what page 1 does. A list is one or more parts shown one after the
other, each in its own indexed order: the new orders (待派单) first those awaiting acknowledgement, the one
due soonest first (ack_due_at, id), then the other new cases newest first; every other view is one part,
newest received first (received_at, id). A cursor names its part and its row's key in that part's order.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, func, not_, select, true, tuple_
from sqlalchemy import case as sql_case
from sqlalchemy.orm import joinedload

from . import permissions
from .extensions import db
from .ids import MAX_ID
from .models import STATES, Case, UTCDateTime, utcnow
from .text import fold


@dataclass
class QueueFilter:
    state: str | None = "received"
    kind: str | None = None
    village_id: int | None = None
    category: str | None = None
    overdue: bool = False
    ack_overdue: bool = False  # 签收超时: awaiting acknowledgement past its deadline
    problem: bool = False  # 问题工单: Case.is_problem_order
    q: str = ""

    @property
    def by_acknowledgement(self) -> bool:
        """New cases are listed by acknowledgement deadline, the most pressing first."""
        return self.state == "received" or self.ack_overdue


@dataclass
class Page:
    cases: list[Case]
    newer: str | None = None  # cursor for the page before (newer cases, or due sooner)
    older: str | None = None  # cursor for the page after (older cases, or due later)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A part of a list: the cases it holds, in the order of (`column`, id), and its cursors' tag."""

    tag: str
    where: object
    column: object
    descending: bool

    def key_of(self, case: Case) -> datetime:
        return getattr(case, self.column.key)

    def order(self, backwards: bool = False) -> tuple:
        descending = self.descending != backwards
        return (self.column.desc(), Case.id.desc()) if descending else (self.column, Case.id)

    def beyond(self, cursor: tuple[datetime, int], backwards: bool = False):
        """The cases that come after the cursor in this part's order (before it, backwards)."""
        key, at = tuple_(self.column, Case.id), _key(cursor)
        return key < at if self.descending != backwards else key > at


NEWEST_FIRST = Part("", true(), Case.received_at, descending=True)
ACK_DUE_FIRST = Part("a", Case.awaiting_acknowledgement, Case.ack_due_at, descending=False)
NEW_NOT_AWAITING = Part("", not_(Case.awaiting_acknowledgement), Case.received_at, descending=True)


def parts_of(f: QueueFilter) -> tuple[Part, ...]:
    if f.ack_overdue:
        return (ACK_DUE_FIRST,)
    return (ACK_DUE_FIRST, NEW_NOT_AWAITING) if f.by_acknowledgement else (NEWEST_FIRST,)


def encode_cursor(case: Case, part: Part = NEWEST_FIRST) -> str:
    return f"{part.tag}{part.key_of(case).timestamp():.6f}_{case.id}"


def decode_cursor(cursor: str | None, parts: tuple[Part, ...] = (NEWEST_FIRST,)):
    """(index of the cursor's part, (key, id)), or None for no cursor or a damaged one."""
    if not cursor:
        return None
    tag = cursor[:1] if cursor[:1].isalpha() else ""
    index = next((i for i, part in enumerate(parts) if part.tag == tag), None)
    try:
        stamp, case_id = cursor[len(tag) :].split("_", 1)
        at, case_id = datetime.fromtimestamp(float(stamp), UTC), int(case_id)
    except (ValueError, OverflowError, OSError):
        return None  # a damaged link shows the first page rather than an error
    return (index, (at, case_id)) if index is not None and 0 <= case_id <= MAX_ID else None


def _filtered(user, f: QueueFilter, now: datetime):
    stmt = select(Case).where(permissions.visible_cases(user))
    if f.state in STATES:
        stmt = stmt.where(Case.state == f.state)
    if f.kind in ("order", "dispute"):
        stmt = stmt.where(Case.kind == f.kind)
    if f.village_id:
        stmt = stmt.where(Case.village_id == f.village_id)
    if f.category:
        stmt = stmt.where(Case.category == f.category)
    if f.overdue:
        stmt = stmt.where(Case.overdue_at(now))
    if f.ack_overdue:
        stmt = stmt.where(Case.ack_overdue_at(now))
    if f.problem:
        stmt = stmt.where(Case.is_problem_order)
    if f.q.strip():
        stmt = stmt.where(_search(f.q.strip()))
    return stmt


NUMBER_LIKE = re.compile(r"^[A-Za-z0-9-]+$")


def _search(q: str):
    """An order number (exact or its beginning) when one matches, else words in the content.

    A number is looked up through the unique index alone: combined with a LIKE on the content in one
    OR, the database would scan every case. Words in the content still scan (until full-text search).
    """
    for form in number_forms(q):
        number = and_(Case.number >= form, Case.number < form + "\uffff")
        if db.session.scalar(select(Case.id).where(number).limit(1)) is not None:
            return number
    return and_(*[Case.content.contains(w, autoescape=True) for w in q.split()])


def number_forms(q: str) -> list[str]:
    """What a typed order number may stand for: folded as the intake folds numbers (NFKC: full-width to
    ASCII; trimmed), then as typed and in capitals (gd202611300005 finds GD202611300005). None for words."""
    folded = fold(q)
    return list(dict.fromkeys((folded, folded.upper()))) if NUMBER_LIKE.match(folded) else []


def queue_page(
    user,
    f: QueueFilter,
    *,
    after: str | None = None,
    before: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> Page:
    """One page of the queue in its order (parts_of). `after`: the page after this cursor; `before`: before it."""
    stmt = _filtered(user, f, now or utcnow()).options(joinedload(Case.village), joinedload(Case.assignee))
    parts = parts_of(f)
    if (cursor := decode_cursor(before, parts)) is not None:
        rows = _walk(stmt, parts, *cursor, limit, backwards=True)
        more_before, rows = len(rows) > limit, list(reversed(rows[:limit]))
        return _page(rows, newer=more_before, older=True)
    cursor = decode_cursor(after, parts)
    rows = _walk(stmt, parts, *(cursor or (0, None)), limit)
    return _page(rows[:limit], newer=cursor is not None, older=len(rows) > limit)


def _walk(stmt, parts, index: int, cursor, limit: int, backwards: bool = False) -> list[tuple[Part, Case]]:
    """Up to limit + 1 rows beyond the cursor, from its part on into the next parts (the previous ones,
    backwards) as far as needed: one indexed query per part."""
    rows: list[tuple[Part, Case]] = []
    for i in range(index, -1, -1) if backwards else range(index, len(parts)):
        part, query = parts[i], stmt.where(parts[i].where)
        if cursor is not None and i == index:
            query = query.where(part.beyond(cursor, backwards))
        query = query.order_by(*part.order(backwards)).limit(limit + 1 - len(rows))
        rows += [(part, case) for case in db.session.scalars(query)]
        if len(rows) > limit:
            break
    return rows


def _page(rows: list[tuple[Part, Case]], newer: bool, older: bool) -> Page:
    """The page of these rows, with a cursor each way where there is more that way."""
    return Page(
        [case for _, case in rows],
        newer=encode_cursor(rows[0][1], rows[0][0]) if newer and rows else None,
        older=encode_cursor(rows[-1][1], rows[-1][0]) if older and rows else None,
    )


def _key(cursor: tuple[datetime, int]):
    at, case_id = cursor
    return tuple_(bindparam(None, at, type_=UTCDateTime()), bindparam(None, case_id))


def my_cases(user, now: datetime | None = None, limit: int = 200) -> list[Case]:
    """A cadre's open cases, assigned to them: overdue first, then by due time, then oldest."""
    now = now or utcnow()
    no_due_last = sql_case((Case.due_at.is_(None), 1), else_=0)
    stmt = (
        select(Case)
        .where(Case.assignee_id == user.id, Case.state == "assigned")
        .options(joinedload(Case.village))
        .order_by(no_due_last, Case.due_at, Case.received_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def my_open_count(user) -> int:
    """How many cases a cadre has open, counted in SQL over the (assignee, state) index."""
    stmt = select(func.count()).select_from(Case).where(Case.assignee_id == user.id, Case.state == "assigned")
    return db.session.scalar(stmt)


def recently_resolved_by(user, limit: int = 10) -> list[Case]:
    stmt = (
        select(Case)
        .where(Case.assignee_id == user.id, Case.state == "resolved")
        .order_by(Case.resolved_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
