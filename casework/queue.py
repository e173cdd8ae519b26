"""The lists people work from: the dispatcher's queue and a cadre's own cases.

Keyset pagination on (received_at, id), newest first, so page 20,000 costs what page 1 does.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, func, select, tuple_
from sqlalchemy import case as sql_case
from sqlalchemy.orm import joinedload

from . import permissions
from .extensions import db
from .intake.normalize import fold
from .models import STATES, Case, UTCDateTime, utcnow


@dataclass
class QueueFilter:
    state: str | None = "received"
    kind: str | None = None
    village_id: int | None = None
    category: str | None = None
    overdue: bool = False
    q: str = ""


@dataclass
class Page:
    cases: list[Case]
    newer: str | None = None  # cursor for the page before (newer cases)
    older: str | None = None  # cursor for the page after (older cases)
    extra: dict = field(default_factory=dict)


def encode_cursor(case: Case) -> str:
    return f"{case.received_at.timestamp():.6f}_{case.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        stamp, case_id = cursor.split("_", 1)
        at, case_id = datetime.fromtimestamp(float(stamp), UTC), int(case_id)
    except (ValueError, OverflowError, OSError):
        return None  # a damaged link shows the first page rather than an error
    return (at, case_id) if 0 <= case_id < 2**31 else None


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
        stmt = stmt.where(Case.state != "resolved", Case.due_at < now)
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
    """One page of the queue, newest received first. `after`: older than this cursor; `before`: newer."""
    stmt = _filtered(user, f, now or utcnow()).options(joinedload(Case.village), joinedload(Case.assignee))
    key = tuple_(Case.received_at, Case.id)
    newer_first = (Case.received_at.desc(), Case.id.desc())
    if (cursor := decode_cursor(before)) is not None:
        rows = db.session.scalars(
            stmt.where(key > _key(cursor)).order_by(Case.received_at, Case.id).limit(limit + 1)
        ).all()
        has_more_newer, rows = len(rows) > limit, list(reversed(rows[:limit]))
        return Page(
            rows,
            newer=encode_cursor(rows[0]) if has_more_newer and rows else None,
            older=encode_cursor(rows[-1]) if rows else None,
        )
    if (cursor := decode_cursor(after)) is not None:
        stmt = stmt.where(key < _key(cursor))
    rows = db.session.scalars(stmt.order_by(*newer_first).limit(limit + 1)).all()
    older = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    return Page(rows, newer=encode_cursor(rows[0]) if after and rows else None, older=older)


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
