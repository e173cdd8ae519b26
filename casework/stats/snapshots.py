"""A closed month's figures, counted once and kept in the database (stats_snapshots).

A month's figures are counted from the history up to its end (docs/statistics.md), and work is always
recorded at the time it is done, so once the month is over nothing later changes them, with one
exception: a case received in the month and created afterwards (an order imported late, a dispute
registered with an earlier date). So each kept figure carries a fingerprint of the cases received in
its month (how many, the highest id), checked through an index at every use; when it differs, or when
the counting code has changed since (`RULES`), the figures are counted again and kept anew.

A month counts as closed a week after its end (CLOSED_AFTER), when every acknowledgement deadline of
its orders has passed. Until then its figures are always counted live.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..clock import zone_name
from ..extensions import db
from ..models import Case, StatsSnapshot
from .periods import Month

CLOSED_AFTER = timedelta(days=7)
_COUNTING_CODE = ("figures.py", "monthly.py", "dashboard.py", "snapshots.py")
RULES = hashlib.sha256(b"".join((Path(__file__).parent / n).read_bytes() for n in _COUNTING_CODE)).hexdigest()[:16]


def is_closed(month: Month, now: datetime) -> bool:
    _, end = month.bounds(zone_name())
    return now >= end + CLOSED_AFTER


def fingerprint(month: Month) -> str:
    """How many cases were received in the month and the highest id among them (an index range scan)."""
    start, end = month.bounds(zone_name())
    stmt = select(func.count(), func.max(Case.id)).where(Case.received_at >= start, Case.received_at < end)
    count, highest = db.session.execute(stmt).one()
    return f"{count}:{highest or 0}"


def kept(what: str, month: Month, now: datetime, compute: Callable[[], dict]) -> dict:
    """The month's figures `what` (a JSON-able dict made by `compute`): kept ones when the month is
    closed and its cases are those they were counted from, else counted now (and kept when closed)."""
    if not is_closed(month, now):
        return compute()
    key = dict(what=what, period=str(month), timezone=zone_name(), rules=RULES)
    current = fingerprint(month)
    snapshot = db.session.scalar(select(StatsSnapshot).filter_by(**key))
    if snapshot is not None and snapshot.fingerprint == current:
        return snapshot.payload
    payload = compute()
    _keep(key, current, payload)
    return payload


def _keep(key: dict, fingerprint_: str, payload: dict) -> None:
    """Store the figures (a page that reads figures changes nothing else, so this is its one commit);
    when another request stored them meanwhile, theirs stand."""
    db.session.execute(delete(StatsSnapshot).filter_by(**key))
    db.session.add(StatsSnapshot(**key, fingerprint=fingerprint_, payload=payload))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
