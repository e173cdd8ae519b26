"""What administrators see and do about the channels' outbox: the deliveries that failed for good and those
still being retried, newest first; a failed one sent again (retry) or put away (dismiss). Services: they
take the acting administrator, flush, and never commit."""

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from .. import permissions as perm
from ..extensions import db
from ..ids import row_id
from ..models import Delivery, Notification, User, utcnow
from ..refusals import N_, Forbidden, NotAllowed

PAGE_SIZE = 50
ADMINS_ONLY = N_("Only administrators may do this.")
GONE_MEANWHILE = N_("That notification is no longer waiting: it was sent, retried or dismissed meanwhile.")
TROUBLE = (Delivery.status == "failed") | ((Delivery.status == "pending") & (Delivery.attempts > 0))


@dataclass
class FailuresPage:
    deliveries: list[Delivery]
    older: int | None  # cursor: the next page is `before` this id
    failed: int  # failed for good, in all
    retrying: int  # still to be tried again, in all


def failures_page(actor: User, before=None, limit: int = PAGE_SIZE) -> FailuresPage:
    """Deliveries that failed or are being retried, newest first, `limit` a page (keyset on id)."""
    _check(actor)
    query = select(Delivery).where(TROUBLE).order_by(Delivery.id.desc()).limit(limit + 1)
    if cursor := row_id(before):
        query = query.where(Delivery.id < cursor)
    options = selectinload(Delivery.notification).selectinload(Notification.recipient)
    rows = list(db.session.scalars(query.options(options)))
    counted = select(Delivery.status, func.count()).where(TROUBLE).group_by(Delivery.status)
    counts = {status: n for status, n in db.session.execute(counted)}
    older = rows[limit - 1].id if len(rows) > limit else None
    return FailuresPage(rows[:limit], older, counts.get("failed", 0), counts.get("pending", 0))


def retry(actor: User, delivery_ids: list[int]) -> int:
    """The failed (or waiting) deliveries named are due now, with their attempts counted from nought again;
    refused (NotAllowed) when none of them is failed or waiting any more."""
    _check(actor)
    again = update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status.in_(("failed", "pending")))
    return _some(db.session.execute(again.values(status="pending", attempts=0, next_attempt_at=utcnow())))


def retry_all_failed(actor: User) -> int:
    """Every failed delivery is due now, its attempts counted from nought (after a robot or the gateway was
    down for long); refused (NotAllowed) when there is none."""
    _check(actor)
    again = update(Delivery).where(Delivery.status == "failed")
    return _some(db.session.execute(again.values(status="pending", attempts=0, next_attempt_at=utcnow())))


def dismiss(actor: User, delivery_ids: list[int]) -> int:
    """The failed deliveries named are put away (the notice stays in the recipient's list in the app);
    refused (NotAllowed) when none of them is failed any more."""
    _check(actor)
    return _some(db.session.execute(delete(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "failed")))


def _some(result) -> int:
    if result.rowcount == 0:
        raise NotAllowed(GONE_MEANWHILE)
    return result.rowcount


def _check(actor: User) -> None:
    if not perm.can_manage(actor):
        raise Forbidden(ADMINS_ONLY)
