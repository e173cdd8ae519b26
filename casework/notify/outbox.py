"""The sender: the channels' outbox (notification_deliveries) sent outside any request, each delivery once.

A sender picks the due deliveries (pending, next_attempt_at passed), oldest first, and claims each with one
conditional UPDATE (pending -> sending) committed before anything is sent: of two senders running at once only
one claims a delivery. Then it sends, and marks the delivery sent, or counts the attempt and sets the next one
after a growing wait; at NOTIFY_MAX_ATTEMPTS the delivery is failed and administrators see it (failures.py).
A delivery left 'sending' by a sender that died is taken back after STUCK. Every step commits its own rows.

Deliveries to the same group robot, or the same mobile number, that are due in one run go as one message
(up to COALESCE of them): a morning's ten assignments are one robot post mentioning each cadre, not ten.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Delivery, Notification, PushSubscription, utcnow
from ..notices import message
from . import dingtalk, sms, webpush, wecom
from .channel import ChannelError
from .words import push_payload, with_link

log = logging.getLogger(__name__)

BATCH = 500  # deliveries looked at per run; the rest wait for the next one
COALESCE = 10  # notices at most in one robot post or one text
STUCK = timedelta(minutes=10)  # a claim this old belongs to a sender that died
FIRST_WAIT = timedelta(minutes=1)  # after the first failure; doubled after each next one
LONGEST_WAIT = timedelta(hours=1)
GONE = "the browser's subscription has expired"


@dataclass
class Counts:
    """What one run of the sender did, in deliveries."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0
    waiting: int = 0  # not tried: their channel was down earlier in this run


def send_due(now: datetime | None = None, limit: int = BATCH) -> Counts:
    """Send the deliveries due at `now` (at most `limit`): each claimed before it is sent, so sent once however
    many senders run; a failure retried later with a backoff, failed at NOTIFY_MAX_ATTEMPTS. Commits each step.
    Never inside a request: a request only writes the outbox."""
    if has_request_context():
        raise RuntimeError("the channels' outbox is sent by the sender job, never inside a request")
    now = now or utcnow()
    counts = Counts(reclaimed=reclaim_stuck(now))
    down: set[str] = set()
    for channel, group in _groups(_due(now, limit)):
        if channel in down:
            counts.waiting += len(group)
            continue
        claimed = [d for d in group if _claim(d, now)]
        db.session.commit()
        if claimed and _send(_loaded(claimed), now, counts) == "down" and channel != "webpush":
            down.add(channel)  # the robot or the gateway is unreachable: the rest wait for the next run
    return counts


def reclaim_stuck(now: datetime) -> int:
    """Deliveries claimed longer than STUCK ago and never marked: their sender died; they are due again."""
    stuck = (Delivery.status == "sending") & (Delivery.claimed_at < now - STUCK)
    taken = db.session.execute(update(Delivery).where(stuck).values(status="pending", next_attempt_at=now))
    db.session.commit()
    return taken.rowcount


def _due(now: datetime, limit: int) -> list[tuple[int, str, str]]:
    due = (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
    query = select(Delivery.id, Delivery.channel, Delivery.target).where(due).order_by(Delivery.id).limit(limit)
    return [tuple(row) for row in db.session.execute(query)]


def _groups(due: list[tuple[int, str, str]]) -> list[tuple[str, list[int]]]:
    """Deliveries that go as one message, with their channel: a robot's (per channel), a mobile number's; each
    push alone."""
    by_message: dict[tuple, list[int]] = defaultdict(list)
    for delivery_id, channel, target in due:
        key = {"webpush": (channel, delivery_id), "sms": (channel, target)}.get(channel, (channel,))
        by_message[key].append(delivery_id)
    return [(key[0], ids[i : i + COALESCE]) for key, ids in by_message.items() for i in range(0, len(ids), COALESCE)]


def _claim(delivery_id: int, now: datetime) -> bool:
    """pending -> sending in one conditional UPDATE: true for exactly one of the senders that try."""
    claim = update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
    return db.session.execute(claim.values(status="sending", claimed_at=now)).rowcount == 1


def _loaded(ids: list[int]) -> list[Delivery]:
    query = select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
    options = selectinload(Delivery.notification).selectinload(Notification.case)
    return list(db.session.scalars(query.options(options)))


def _send(deliveries: list[Delivery], now: datetime, counts: Counts) -> str:
    """One message for the group, then each of its deliveries marked by how it went: "sent", "failed", or "down"
    when the channel itself could not be reached."""
    outcome = "failed"
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            _by_channel(deliveries)
    except ChannelError as exc:
        log.warning("%s delivery %s not sent: %s", deliveries[0].channel, [d.id for d in deliveries], exc)
        if exc.gone:
            _forget_subscription(deliveries[0], now, counts)
        else:
            for delivery in deliveries:
                _failed_attempt(delivery, exc.reason, now, counts)
        outcome = "down" if exc.down else outcome
    except Exception as exc:  # noqa: BLE001 - a channel set up wrong (a bad key file) must not stop the others
        log.exception("%s delivery %s not sent", deliveries[0].channel, [d.id for d in deliveries])
        db.session.rollback()
        for delivery in deliveries:
            _failed_attempt(delivery, f"error in Casework: {type(exc).__name__}", now, counts)
    else:
        for delivery in deliveries:
            delivery.status, delivery.sent_at, delivery.attempts = "sent", now, delivery.attempts + 1
            delivery.last_error = None
        counts.sent += len(deliveries)
        outcome = "sent"
    db.session.commit()
    return outcome


def _by_channel(deliveries: list[Delivery]) -> None:
    first = deliveries[0]
    text = "\n\n".join(with_link(message(d.notification), d.notification) for d in deliveries)
    mobiles = sorted({d.target for d in deliveries if d.target})
    if first.channel == "webpush":
        subscription = db.session.get(PushSubscription, first.subscription_id) if first.subscription_id else None
        if subscription is None:
            raise ChannelError(GONE, gone=True)
        webpush.send(subscription, push_payload(first.notification))
        subscription.last_sent_at = utcnow()
    elif first.channel == "wecom":
        wecom.send(text, mobiles)
    elif first.channel == "dingtalk":
        dingtalk.send(text, mobiles)
    else:
        sms.send(first.target, text, "+".join(str(d.id) for d in deliveries))


def _failed_attempt(delivery: Delivery, reason: str, now: datetime, counts: Counts) -> None:
    """One more attempt counted: the next after a doubling wait, or failed for good at the limit."""
    delivery.attempts += 1
    delivery.last_error = reason
    if delivery.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        delivery.status = "failed"
        counts.failed += 1
        return
    wait = min(FIRST_WAIT * 2 ** (delivery.attempts - 1), LONGEST_WAIT)
    delivery.status, delivery.next_attempt_at = "pending", now + wait
    counts.retrying += 1


def _forget_subscription(delivery: Delivery, now: datetime, counts: Counts) -> None:
    """The push service no longer knows the browser: the subscription is deleted, and this delivery and the
    others still waiting for that browser are finished as failed (nothing can carry them)."""
    delivery.attempts += 1
    delivery.status, delivery.last_error = "failed", GONE
    counts.failed += 1
    if delivery.subscription_id is None:
        return
    waiting = (Delivery.subscription_id == delivery.subscription_id) & (Delivery.status == "pending")
    db.session.execute(update(Delivery).where(waiting).values(status="failed", last_error=GONE))
    db.session.execute(PushSubscription.__table__.delete().where(PushSubscription.id == delivery.subscription_id))
