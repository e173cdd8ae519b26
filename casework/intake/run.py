"""One intake run: claim the slot, import the inbox, then the feed, then send the outbox; record it all."""

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IntakeRun, User, utcnow
from . import feed, inbox, outbox

log = logging.getLogger(__name__)

TRIGGERS = ("schedule", "startup", "manual")
MAX_ERROR = 4000
INTERRUPTED_AFTER = timedelta(hours=1)  # far longer than any run: one still 'running' then has died


def manual_slot_key() -> str:
    """A key no schedule uses, so that a manual run never blocks (or is blocked by) a slot."""
    return f"manual-{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def claim_slot(slot_key: str, trigger: str, actor: User | None = None) -> IntakeRun | None:
    """Insert and COMMIT the run's row before anything is fetched. Its slot_key is unique, so when
    two schedulers reach the same slot one insert fails: that one gets None and does nothing."""
    run = IntakeRun(
        slot_key=slot_key,
        trigger=trigger,
        source="inbox+feed" if current_app.config.get("FEED_URL") else "inbox",
        status="running",
        started_at=utcnow(),
        started_by_id=actor.id if actor else None,
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("intake slot %s already claimed by another scheduler", slot_key)
        return None
    return run


def intake_run(trigger: str, actor: User | None = None, slot_key: str | None = None) -> IntakeRun | None:
    """Run one intake and return its record, or None when another scheduler already has this slot.

    Steps, in order: the inbox folder, the HTTP feed (when CASEWORK_FEED_URL is set), the outbox.
    Each step commits its own work as it goes; one that fails is rolled back to its last commit,
    logged and recorded on the run, and the next steps still run. The run ends 'ok' or 'failed' with
    its counts and finished time; a failed one is simply retried by the next slot.
    """
    run = claim_slot(slot_key or manual_slot_key(), trigger, actor)
    if run is None:
        return None
    log.info("intake run %s (%s, slot %s) started", run.id, trigger, run.slot_key)
    close_interrupted_runs(run)
    errors = [e for e in (_step(name, step, run) for name, step in _steps()) if e]
    _finish(run, errors)
    return run


def close_interrupted_runs(current: IntakeRun) -> None:
    """Runs left 'running' by a process that stopped (killed, machine restarted) become failed, so
    that the runs page and the queue's banner tell the truth. Commits."""
    now = utcnow()
    db.session.execute(
        update(IntakeRun)
        .where(
            IntakeRun.status == "running", IntakeRun.started_at < now - INTERRUPTED_AFTER, IntakeRun.id != current.id
        )
        .values(status="failed", finished_at=now, error="interrupted: the process running it stopped")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _steps():
    yield "inbox", _inbox
    if current_app.config.get("FEED_URL"):
        yield "feed", feed.import_feed
    yield "replies", _replies


def _inbox(run: IntakeRun) -> None:
    """import_inbox file by file, so that the files committed before a failing one are counted too."""
    folder = Path(current_app.config["INBOX_DIR"])
    for path in inbox.waiting_files(folder):
        feed.add_counts(run, inbox.import_file(path, run, folder))
        db.session.commit()


def _replies(run: IntakeRun) -> None:
    result = outbox.send_pending(run)
    if result.failed:
        raise feed.FeedError(f"{result.failed} not delivered; last error: {result.error}")


def _step(name: str, step, run: IntakeRun) -> str | None:
    """Run one step; its failure becomes a line of the run's error instead of ending the run."""
    try:
        step(run)
    except feed.FeedError as exc:
        db.session.rollback()
        log.warning("intake run %s: %s failed: %s", run.id, name, exc)
        return f"{name}: {exc}"
    except Exception as exc:  # noqa: BLE001 - whatever breaks, the run must still be recorded as failed
        db.session.rollback()
        log.exception("intake run %s: %s failed", run.id, name)
        return f"{name}: {type(exc).__name__}: {exc}"
    return None


def _finish(run: IntakeRun, errors: list[str]) -> None:
    run.status = "failed" if errors else "ok"
    run.error = "\n".join(errors)[:MAX_ERROR] or None
    run.finished_at = utcnow()
    db.session.commit()
    log.info(
        "intake run %s %s: fetched %s, new %s, duplicates %s, rejected %s, replies sent %s",
        run.id,
        run.status,
        run.fetched,
        run.new,
        run.duplicates,
        run.rejected,
        run.replies_sent,
    )


# --- reading the runs ----------------------------------------------------------------------------


def recent_runs(page: int, size: int) -> tuple[list[IntakeRun], bool]:
    """One page of runs, newest first, and whether an older page exists."""
    query = (
        select(IntakeRun)
        .order_by(IntakeRun.started_at.desc(), IntakeRun.id.desc())
        .offset((page - 1) * size)
        .limit(size + 1)
    )
    runs = list(db.session.scalars(query))
    return runs[:size], len(runs) > size


def failed_run_alert() -> IntakeRun | None:
    """The latest finished run when it failed: shown until a later run succeeds."""
    query = (
        select(IntakeRun)
        .where(IntakeRun.status != "running")
        .order_by(IntakeRun.started_at.desc(), IntakeRun.id.desc())
        .limit(1)
    )
    latest = db.session.scalar(query)
    return latest if latest is not None and latest.status == "failed" else None
