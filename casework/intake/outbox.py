"""Results back to the platform: the reply outbox (答复/办结 reported to 12345).

A reply is written in the same transaction as the resolution. With a feed, each intake run POSTs
the unsent ones; without one, staff download them as CSV, enter them on the platform and confirm.
Each reply row is marked sent exactly once; the platform is told an Idempotency-Key so that a reply
sent again (the POST went through but our commit after it did not) is recognised there.
"""

import hashlib
import io
import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from .. import attachments, notices
from .. import permissions as perm
from ..extensions import db
from ..ids import row_ids
from ..models import IntakeRun, Reply, User, utcnow
from ..refusals import N_, Forbidden
from ..spreadsheets import csv_writer
from . import feed

log = logging.getLogger(__name__)
FAILING_AFTER = 3  # failed attempts after which the dispatchers are told, once, that a reply keeps failing


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    error: str | None = None  # the last failure, as stored on its reply
    last_failure: feed.FeedError | None = None

    def not_delivered(self) -> "RepliesNotDelivered | None":
        """What the run reports when replies were not delivered (raise it), or None."""
        return RepliesNotDelivered(self.failed, self.last_failure) if self.failed and self.last_failure else None


class PhotoNotInStore(feed.FeedError):
    """A photo of the reply is not in this server's store: the reply waits (never sent without its proof)."""


PHOTO_NOT_IN_STORE = N_(
    "photo %(photo)s… (“%(name)s”) is missing from the photo store: put the file back, or enter the reply by hand"
)


class RepliesNotDelivered(feed.FeedError):
    """Replies the platform did not take in this run: how many, and the last error."""

    def __init__(self, failed: int, last: feed.FeedError):  # its sentence has a plural: see render()
        super().__init__("", num=failed)
        self.last = last

    def render(self) -> str:
        return ngettext(
            "%(num)d reply not delivered; last error: %(error)s",
            "%(num)d replies not delivered; last error: %(error)s",
            self.params["num"],
            error=self.last.render(),
        )


def idempotency_key(reply: Reply) -> str:
    return f"casework-reply-{reply.id}"


def send_pending(run: IntakeRun | None = None) -> SendResult:
    """POST every unsent reply, oldest first, committing after each one.

    Delivered: marked sent (via 'feed') and counted on the run. Refused: its attempts, time and error
    are kept and it waits for the next run. When the platform cannot take replies at all (down, timed
    out, 5xx, bad token) the remaining ones are left for the next run instead of each waiting out its
    own timeout. Without a feed nothing is sent: staff enter the replies by hand (replies_csv).
    """
    client = feed.feed_client()
    result = SendResult()
    if client is None:
        return result
    pending = list(db.session.scalars(select(Reply.id).where(Reply.sent_at.is_(None)).order_by(Reply.id)))
    for reply_id in pending:
        reply = _claim(reply_id)
        if reply is None:
            continue  # sent meanwhile, or another run is sending it right now
        try:
            body = with_uploaded_images(client, reply.payload)
            feed.post_reply(client, reply.order_no, body, idempotency_key(reply))
        except feed.FeedError as exc:
            _record_failure(reply, exc, result)
            if not _only_this_reply(exc):
                break
            continue
        _record_delivery(reply, run, result)
    return result


def with_uploaded_images(client: feed.FeedClient, payload: dict) -> dict:
    """The reply as posted: each of its photos first uploaded to the platform (its platform copy, at most
    attachments.PLATFORM_LONG_SIDE) and named by the id the platform gave it. Uploaded again at every attempt:
    the platform answers the same id for the same bytes, and nothing here can go stale if it forgets an
    upload never referenced. PhotoNotInStore (this reply only) when a photo's file is gone."""
    if not payload.get("images"):
        return payload
    return payload | {"images": [_uploaded(client, image) for image in payload["images"]]}


def _uploaded(client: feed.FeedClient, image: dict) -> dict:
    try:
        data = attachments.platform_copy(image["sha256"], image["media_type"])
    except attachments.PhotoMissing as exc:
        raise PhotoNotInStore(PHOTO_NOT_IN_STORE, photo=exc.sha256[:12], name=image.get("name") or "—") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    image_id = feed.upload_image(client, data, image["media_type"], sha256)
    return {"id": image_id, "sha256": sha256, "content_type": image["media_type"], "name": image.get("name")}


def _claim(reply_id: int) -> Reply | None:
    """The reply, locked for this transaction on PostgreSQL so that two runs never both send it."""
    query = select(Reply).where(Reply.id == reply_id, Reply.sent_at.is_(None)).with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _only_this_reply(exc: feed.FeedError) -> bool:
    """A 4xx about this reply (unknown order, bad field, a photo refused) or a photo of its own gone from the
    store says nothing about the others."""
    if isinstance(exc, PhotoNotInStore):
        return True
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403, 408, 429)


def _record_delivery(reply: Reply, run: IntakeRun | None, result: SendResult) -> None:
    now = utcnow()
    reply.attempts += 1
    reply.last_attempt_at = reply.sent_at = now
    reply.sent_via, reply.last_error = "feed", None
    if run is not None:
        run.replies_sent += 1
    db.session.commit()
    result.sent += 1


def _record_failure(reply: Reply, exc: feed.FeedError, result: SendResult) -> None:
    """The attempt and its error are kept on the reply, in the township's language (messages.py says why
    stored, not translated when shown); the log has it in English. At the FAILING_AFTER-th failure the
    dispatchers are told, in the same commit."""
    log.warning("reply for %s not delivered: %s", reply.order_no, exc)
    reply.attempts += 1
    reply.last_attempt_at, reply.last_error = utcnow(), exc.text()
    if reply.attempts == FAILING_AFTER:  # once: the attempts only grow
        notices.notify_dispatchers("reply_failing", case=reply.case, text=reply.last_error)
    db.session.commit()
    result.failed += 1
    result.error, result.last_failure = reply.last_error, exc


# --- by hand, without a feed ---------------------------------------------------------------------


def pending_replies() -> list[Reply]:
    """Every unsent reply, oldest first."""
    return list(db.session.scalars(select(Reply).where(Reply.sent_at.is_(None)).order_by(Reply.id)))


@dataclass
class RepliesPage:
    replies: list[Reply]
    earlier: int | None = None  # cursor for the page before (older replies): `before`
    later: int | None = None  # cursor for the page after (newer replies): `after`


def pending_page(*, after: int | None = None, before: int | None = None, limit: int = 50) -> RepliesPage:
    """One page of the replies not yet on the platform, oldest first. Keyset on the (sent_at, id) index, as
    the queue pages: `after` a reply id, the newer ones; `before`, the older ones. Page 200 costs what 1 does."""
    waiting = select(Reply).where(Reply.sent_at.is_(None))
    if before:
        rows = db.session.scalars(waiting.where(Reply.id < before).order_by(Reply.id.desc()).limit(limit + 1)).all()
        more_earlier, rows = len(rows) > limit, list(reversed(rows[:limit]))
        return RepliesPage(rows, rows[0].id if more_earlier and rows else None, rows[-1].id if rows else None)
    if after:
        waiting = waiting.where(Reply.id > after)
    rows = db.session.scalars(waiting.order_by(Reply.id).limit(limit + 1)).all()
    later = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    return RepliesPage(rows, rows[0].id if after and rows else None, later)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Reply).where(Reply.sent_at.is_(None)))


def replies_csv(replies: list[Reply]) -> bytes:
    """The replies (pending ones) as a CSV staff can open in Excel (UTF-8 with BOM) to enter on the platform,
    with how many photos each order has (counted in one query), to upload there by hand from its case page."""
    photos = _pending_photo_counts()
    out = io.StringIO()
    writer = csv_writer(out)  # no cell runs as a formula in Excel
    writer.writerow([_("Order number"), _("Result"), _("Resolved at"), _("Handler"), _("Number of photos")])
    for reply in replies:
        p = reply.payload
        writer.writerow(
            [reply.order_no, p["result"], _local(p["resolved_at"]), p["handler"], photos.get(reply.case_id, 0)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _pending_photo_counts() -> dict[int, int]:
    counts = attachments.photo_counts(select(Reply.case_id).where(Reply.sent_at.is_(None)))
    return {case_id: n for case_id, n in db.session.execute(select(counts.c.case_id, counts.c.photos))}


def _local(iso: str) -> str:
    return iso[:16].replace("T", " ")


def mark_sent_by_hand(reply_ids: list[int], actor: User) -> int:
    """Staff entered these replies on the platform: mark them sent (via 'manual'). Replies already
    sent are left as they are, so a reply is never marked twice. Returns how many were marked."""
    if not perm.is_dispatcher(actor):
        raise Forbidden(N_("Only a dispatcher may confirm replies."))
    if not reply_ids:
        return 0
    statement = (
        update(Reply)
        .where(Reply.id.in_(row_ids(reply_ids)), Reply.sent_at.is_(None))
        .values(sent_at=utcnow(), sent_via="manual")
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount
