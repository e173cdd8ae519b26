"""The sender: the channels' outbox (notification_deliveries) sent outside any request, each delivery once.

A sender picks the due deliveries (pending, next_attempt_at passed) of each channel, oldest first, packs them into
messages, and claims each message's deliveries with one conditional UPDATE (pending -> sending, claimed_at = the
moment of the claim) committed before anything is sent: of two senders running at once only one claims a delivery.
Then it sends, and finishes the deliveries it still holds -- status 'sending' with its own claimed_at (the fence): a
delivery taken back meanwhile by another sender (reclaim_stuck, after STUCK) is that sender's, and a late finish
changes nothing. A failure counts the attempt and sets the next one after a growing wait; at NOTIFY_MAX_ATTEMPTS
the delivery is failed and administrators see it (failures.py). No transaction is held open while a channel is
being waited for, and a run stops claiming after RUN_BUDGET, well before STUCK.

A channel that cannot be reached (no answer, a 5xx, a wrong token) is tried once per run: its other due deliveries
wait DOWN_WAIT, no attempt counted, and the other channels go on; a push service that does not answer is down for
the rest of the run for the pushes to that host. Deliveries to the same group robot, or the same mobile number, that
are due in one run go as one message, as many whole notices as the channel takes (wecom, dingtalk, sms: NOTICES and
fits()); the others go in the next message, and a notice is never cut, only one too long for any message alone has
its words shortened, marked, its link kept (words.fitted).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Delivery, Notification, PushSubscription, utcnow
from ..models.notices import CHANNELS
from . import dingtalk, sms, webpush, wecom
from .channel import ChannelError
from .words import fitted, push_payload

log = logging.getLogger(__name__)

BATCH = 500  # due deliveries looked at per channel per run; the rest wait for the next one
STUCK = timedelta(minutes=10)  # a claim this old belongs to a sender that died
RUN_BUDGET = timedelta(minutes=5)  # no claim after this much of a run: every claim is finished well before STUCK
FIRST_WAIT = timedelta(minutes=1)  # after the first failure; doubled after each next one
LONGEST_WAIT = timedelta(hours=1)
DOWN_WAIT = timedelta(minutes=1)  # a down channel's other due deliveries wait this long (no attempt counted)
GONE = "the browser's subscription has expired"
PACKED = {"wecom": wecom, "dingtalk": dingtalk, "sms": sms}  # channels whose messages carry several notices


@dataclass
class Counts:
    """What one run of the sender did, in deliveries."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0
    waiting: int = 0  # not tried: their channel (or push service) was down in this run, or the run's time was up
    overtaken: int = 0  # taken back by another sender while this one was still sending them: left as that one set


@dataclass
class Message:
    """One robot post, text or push: the deliveries it carries, with each one's words (a push: its payload)."""

    channel: str
    target: str
    ids: list[int]
    pieces: list[str] = field(default_factory=list)
    payload: dict | None = None
    subscription_id: int | None = None
    host: str = ""  # a push service's host


@dataclass
class Claim:
    """A sender's claim of a message's deliveries: its moment (the fence) and what it got."""

    stamp: datetime
    attempts: dict[int, int]  # delivery id -> attempts before this one


@dataclass
class Run:
    now: datetime
    ends: float  # time.monotonic() after which nothing more is claimed
    counts: Counts
    down: set = field(default_factory=set)  # channels, and ("webpush", host) of push services, down in this run


def send_due(now: datetime | None = None, limit: int = BATCH, budget: timedelta = RUN_BUDGET) -> Counts:
    """Send the deliveries due at `now` (at most `limit` per channel): each claimed before it is sent and finished
    only while still this run's, so sent once however many senders run; a failure retried later with a backoff,
    failed at NOTIFY_MAX_ATTEMPTS. Commits each step. Never inside a request: a request only writes the outbox."""
    if has_request_context():
        raise RuntimeError("the channels' outbox is sent by the sender job, never inside a request")
    now = now or utcnow()
    run = Run(now, time.monotonic() + budget.total_seconds(), Counts(reclaimed=reclaim_stuck(now)))
    messages = _messages(now, limit)
    db.session.commit()  # nothing held open while the channels are waited for
    for number, message in enumerate(messages):
        if time.monotonic() >= run.ends:  # the rest stay due for the next run
            run.counts.waiting += sum(len(m.ids) for m in messages[number:])
            break
        if message.channel in run.down:
            continue  # its due deliveries were all set to wait when it went down
        if ("webpush", message.host) in run.down:
            run.counts.waiting += _wait(message.ids, now)
        elif claim := _claim(message.ids):
            _send(message, claim, run)
    return run.counts


def reclaim_stuck(now: datetime) -> int:
    """Deliveries claimed longer than STUCK ago and never finished: their sender died; they are due again."""
    stuck = (Delivery.status == "sending") & (Delivery.claimed_at < now - STUCK)
    taken = db.session.execute(update(Delivery).where(stuck).values(status="pending", next_attempt_at=now))
    db.session.commit()
    return taken.rowcount


def _messages(now: datetime, limit: int) -> list[Message]:
    """The due deliveries of every channel packed into messages, oldest first across the channels."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        messages = [m for channel in CHANNELS for m in _packed(channel, _due(channel, now, limit))]
    return sorted(messages, key=lambda m: m.ids[0])


def _due(channel: str, now: datetime, limit: int) -> list[Delivery]:
    due = (Delivery.channel == channel) & (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
    query = select(Delivery).where(due).order_by(Delivery.id).limit(limit)
    options = selectinload(Delivery.notification).selectinload(Notification.case)
    return list(db.session.scalars(query.options(options)))


def _packed(channel: str, due: list[Delivery]) -> list[Message]:
    """A push per delivery; for a robot (one target) or a mobile number, as many whole notices per message as the
    channel takes, in order."""
    if channel == "webpush":
        return [_push(d) for d in due]
    words = PACKED[channel]
    open_messages: dict[str, Message] = {}
    done: list[Message] = []
    for delivery in due:
        target = delivery.target if channel == "sms" else ""
        piece = fitted(delivery.notification, words.fits)
        current = open_messages.get(target)
        if current and (len(current.ids) >= words.NOTICES or not words.fits(_joined(current.pieces + [piece]))):
            done.append(current)
            current = None
        if current is None:
            current = open_messages[target] = Message(channel, target, [])
        current.ids.append(delivery.id)
        current.pieces.append(piece)
    return done + list(open_messages.values())


def _push(delivery: Delivery) -> Message:
    message = Message("webpush", delivery.target, [delivery.id], subscription_id=delivery.subscription_id)
    message.payload = push_payload(delivery.notification)
    message.host = webpush.host_of(delivery.target)
    return message


def _joined(pieces: list[str]) -> str:
    return "\n\n".join(pieces)


def _wait(ids: list[int], now: datetime) -> int:
    """Due deliveries left for a later run, no attempt counted (their push service is down)."""
    waiting = Delivery.id.in_(ids) & (Delivery.status == "pending")
    deferred = db.session.execute(update(Delivery).where(waiting).values(next_attempt_at=now + DOWN_WAIT))
    db.session.commit()
    return deferred.rowcount


def _claim(ids: list[int]) -> Claim | None:
    """pending -> sending in one conditional UPDATE, stamped with this moment: each delivery claimed by exactly
    one of the senders that try. The claim: the stamp, and the attempts of the deliveries this sender got."""
    stamp = utcnow()
    claim = update(Delivery).where(Delivery.id.in_(ids), Delivery.status == "pending")
    db.session.execute(claim.values(status="sending", claimed_at=stamp))
    ours = select(Delivery.id, Delivery.attempts).where(_held(ids, stamp))
    attempts = {delivery_id: n for delivery_id, n in db.session.execute(ours)}
    db.session.commit()
    return Claim(stamp, attempts) if attempts else None


def _held(ids, stamp: datetime):
    """The fence: the deliveries among `ids` still claimed by the claim stamped `stamp`."""
    return Delivery.id.in_(list(ids)) & (Delivery.status == "sending") & (Delivery.claimed_at == stamp)


def _send(message: Message, claim: Claim, run: Run) -> None:
    """The message with the claimed deliveries' notices, then each of them finished by how it went; a channel
    that could not be reached is down for the rest of the run, its other due deliveries left waiting."""
    ids = [i for i in message.ids if i in claim.attempts]
    try:
        _by_channel(message, ids)
    except ChannelError as exc:
        log.warning("%s delivery %s not sent: %s", message.channel, ids, exc)
        if exc.gone:
            _forget_subscription(message, ids, claim, run)
        else:
            _failed_attempts(ids, claim, exc.reason, run)
        if exc.down:
            _down(message, run)
    except Exception as exc:  # noqa: BLE001 - a channel set up wrong (a bad key file) must not stop the others
        log.exception("%s delivery %s not sent", message.channel, ids)
        db.session.rollback()
        _failed_attempts(ids, claim, f"error in Casework: {type(exc).__name__}", run)
    else:
        _sent(message, ids, claim, run)
    db.session.commit()


def _by_channel(message: Message, ids: list[int]) -> None:
    pieces = [piece for i, piece in zip(message.ids, message.pieces, strict=False) if i in ids]
    if message.channel == "webpush":
        webpush.send(_subscription(message), message.payload)
    elif message.channel == "sms":
        sms.send(message.target, _joined(pieces), "+".join(str(i) for i in ids))
    else:
        mobiles = sorted(set(db.session.scalars(select(Delivery.target).where(Delivery.id.in_(ids)))) - {""})
        db.session.commit()
        PACKED[message.channel].send(_joined(pieces), mobiles)


def _subscription(message: Message) -> dict:
    """What pywebpush wants of the browser's subscription, read before the push service is waited for."""
    row = db.session.get(PushSubscription, message.subscription_id) if message.subscription_id else None
    if row is None:
        raise ChannelError(GONE, gone=True)
    info = {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}
    db.session.commit()
    return info


def _sent(message: Message, ids: list[int], claim: Claim, run: Run) -> None:
    done = {"status": "sent", "sent_at": run.now, "attempts": Delivery.attempts + 1, "last_error": None}
    finished = db.session.execute(update(Delivery).where(_held(ids, claim.stamp)).values(**done)).rowcount
    run.counts.sent += finished
    run.counts.overtaken += len(ids) - finished
    if message.subscription_id:
        seen = update(PushSubscription).where(PushSubscription.id == message.subscription_id)
        db.session.execute(seen.values(last_sent_at=utcnow()))


def _failed_attempts(ids: list[int], claim: Claim, reason: str, run: Run) -> None:
    """One more attempt counted for each: the next after a doubling wait, or failed for good at the limit."""
    for delivery_id in ids:
        attempts = claim.attempts[delivery_id] + 1
        if attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            outcome, tally = {"status": "failed"}, "failed"
        else:
            wait = min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)
            outcome, tally = {"status": "pending", "next_attempt_at": run.now + wait}, "retrying"
        finish = update(Delivery).where(_held([delivery_id], claim.stamp))
        if db.session.execute(finish.values(attempts=attempts, last_error=reason, **outcome)).rowcount:
            setattr(run.counts, tally, getattr(run.counts, tally) + 1)
        else:
            run.counts.overtaken += 1


def _down(message: Message, run: Run) -> None:
    """The channel (a push service: its host) is down for the rest of the run. A robot's or the gateway's other
    due deliveries wait, beyond this run's batch too, so that the next run does not start with them again."""
    if message.channel == "webpush":
        run.down.add(("webpush", message.host))
        return
    run.down.add(message.channel)
    due = (Delivery.channel == message.channel) & (Delivery.status == "pending") & (Delivery.next_attempt_at <= run.now)
    run.counts.waiting += db.session.execute(
        update(Delivery).where(due).values(next_attempt_at=run.now + DOWN_WAIT)
    ).rowcount


def _forget_subscription(message: Message, ids: list[int], claim: Claim, run: Run) -> None:
    """The push service no longer knows the browser (or its address is no push service's): the subscription is
    deleted, and this delivery and the others still waiting for that browser are finished as failed."""
    gone = {"status": "failed", "last_error": GONE, "attempts": Delivery.attempts + 1}
    run.counts.failed += db.session.execute(update(Delivery).where(_held(ids, claim.stamp)).values(**gone)).rowcount
    if message.subscription_id is None:
        return
    waiting = (Delivery.subscription_id == message.subscription_id) & (Delivery.status == "pending")
    db.session.execute(update(Delivery).where(waiting).values(status="failed", last_error=GONE))
    db.session.execute(delete(PushSubscription).where(PushSubscription.id == message.subscription_id))
