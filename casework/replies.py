"""The platform's reply rows (答复), written in the transaction of the change that makes them: the
resolution writes one, a reopening withdraws the one not yet sent. intake.outbox sends them."""

from sqlalchemy import delete

from .clock import local_zone
from .extensions import db
from .models import Case, Reply, User


def withdraw_unsent(case: Case) -> int:
    """A reopened order's reply that has not left yet is withdrawn: its result no longer stands, and
    the next resolution writes the reply to send. One already sent stays as it was (the platform keeps
    one reply per order, so the next one replaces it there). Returns how many were withdrawn."""
    statement = delete(Reply).where(Reply.case_id == case.id, Reply.sent_at.is_(None))
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


def enqueue_reply(case: Case, actor: User, images: list[dict] = ()) -> Reply | None:
    """For a hotline order being resolved: its reply (result, resolved time, handler, and the photos of the
    work as `images`: name, media type, SHA-256 of each stored file, whose bytes the outbox adds when it
    sends) goes into the outbox in the caller's transaction. Disputes have no platform to answer: None.
    Never commits."""
    if not case.is_order:
        return None
    handler = case.assignee.name if case.assignee else actor.name
    resolved_at = case.resolved_at.astimezone(local_zone())
    payload = {"result": case.result, "resolved_at": resolved_at.isoformat(timespec="seconds"), "handler": handler}
    if images:
        payload["images"] = list(images)
    reply = Reply(case=case, order_no=case.number, payload=payload)
    db.session.add(reply)
    return reply
