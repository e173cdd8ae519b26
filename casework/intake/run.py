"""One intake run: claim the slot, import the inbox, then the feed, then send the outbox; record it all.

A run proves it is alive by its heartbeat (intake_runs.heartbeat_at), written with every commit of its
work: each batch of rows, file, feed page and reply. Only a run whose last sign of work (its heartbeat,
or its start before it has one) is older than INTAKE_RUN_LIMIT_MINUTES counts as interrupted: shown and
counted as failed, and taken over by the next run. A long run that is working is never taken over.
"""

import logging
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import String, cast, delete, event, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import notices
from ..clock import localtime
from ..extensions import db
from ..job_runs import MAX_ERROR
from ..job_runs import manual_key as manual_slot_key
from ..models import IntakeRun, IntakeState, User, utcnow
from . import feed, inbox, outbox
from .messages import IntakeProblem, step_error

log = logging.getLogger(__name__)

TRIGGERS = ("schedule", "startup", "manual")
RUNNING = "running_run"  # the IntakeState row naming the run in progress: its unique name is the claim
RUN_LIMIT_MINUTES = 15  # default of INTAKE_RUN_LIMIT_MINUTES: far longer than a run goes without a commit
WAIT_STEP = 5.0  # seconds between the tries of a scheduled run waiting for another to finish
INTERRUPTED = "interrupted: no sign of work for {minutes} minutes, so the process running it has stopped"


def run_limit() -> timedelta:
    """How long a run may stay 'running': past it, it counts as interrupted (its process has stopped)."""
    return timedelta(minutes=float(current_app.config.get("INTAKE_RUN_LIMIT_MINUTES", RUN_LIMIT_MINUTES)))


def is_interrupted(run: IntakeRun, now: datetime | None = None) -> bool:
    """Still 'running' with no sign of work for the limit: shown and counted as failed, in nobody's way."""
    return run.status == "running" and (run.heartbeat_at or run.started_at) < (now or utcnow()) - run_limit()


def _last_sign():
    """SQL: when a run last showed it was working (its heartbeat, or its start before its first beat)."""
    return func.coalesce(IntakeRun.heartbeat_at, IntakeRun.started_at)


def interrupted_error() -> str:
    return INTERRUPTED.format(minutes=round(run_limit().total_seconds() / 60))


def running_run() -> IntakeRun | None:
    """The run in progress, whatever started it, or None (an interrupted one is not in progress)."""
    claim = db.session.scalar(select(IntakeState.value).where(IntakeState.name == RUNNING))
    run = db.session.get(IntakeRun, int(claim), populate_existing=True) if claim and claim.isdigit() else None
    return run if run is not None and run.status == "running" and not is_interrupted(run) else None


def claim_slot(slot_key: str, trigger: str, actor: User | None = None) -> IntakeRun | None:
    """Insert and COMMIT the run's row before anything is fetched; None when that is not allowed now.

    Two unique keys make the claim, so that two processes never both get it: the run's slot_key (two
    schedulers reaching the same slot) and the one RUNNING row (at most one run at a time, whatever
    started it). Runs interrupted (no sign of work for the limit) are closed in the same transaction.
    """
    close_interrupted_runs()
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
        db.session.flush()
        db.session.execute(insert(IntakeState).values(name=RUNNING, value=str(run.id)))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def slot_taken(slot_key: str) -> bool:
    return db.session.scalar(select(IntakeRun.id).where(IntakeRun.slot_key == slot_key)) is not None


def intake_run(
    trigger: str, actor: User | None = None, slot_key: str | None = None, wait: bool = False
) -> IntakeRun | None:
    """Run one intake here and now and return its record, or None when it may not run.

    None when another scheduler already has this slot, or while another run is running: with `wait`
    (the schedule) this one waits for it to end, at most the run limit, then runs; without (a manual
    run) it starts nothing. Steps: see carry_out.
    """
    key = slot_key or manual_slot_key()
    run = claim_when_free(key, trigger) if wait else claim_slot(key, trigger, actor)
    if run is None:
        return None
    carry_out(run)
    return run


def fetch_now(app: Flask, actor: User) -> tuple[IntakeRun, bool]:
    """The dispatcher's "fetch now": claim a manual run (committed as 'running') and carry it out on a
    thread of this process, so that the request answers at once. While a run is running, none is
    started: that run comes back, with False."""
    for _ in range(3):  # the run in the way may end between the failed claim and the look at it
        run = claim_slot(manual_slot_key(), "manual", actor)
        if run is not None:
            carry_out_in_background(app, run.id)
            return run, True
        if (busy := running_run()) is not None:
            return busy, False
    raise RuntimeError("intake: could neither claim a run nor find the one running")


def claim_when_free(slot_key: str, trigger: str) -> IntakeRun | None:
    """Claim the slot once no other run is running. Waits at most the run limit (a dead run in the way is
    interrupted by then); None when another scheduler took the slot meanwhile, or if runs that are alive
    kept it busy all that time (the next slot, or the start-up catch-up, then runs it)."""
    give_up = time.monotonic() + run_limit().total_seconds() + WAIT_STEP
    while True:
        run = claim_slot(slot_key, trigger)
        if run is not None or slot_taken(slot_key):
            return run
        if time.monotonic() > give_up:
            log.warning("intake slot %s skipped: runs that are alive kept it busy for the run limit", slot_key)
            return None
        log.info("intake slot %s waits for the run in progress to finish", slot_key)
        pause(WAIT_STEP)


def pause(seconds: float) -> None:
    time.sleep(seconds)


def carry_out(run: IntakeRun) -> None:
    """Carry out a claimed run: the inbox folder, the HTTP feed (when CASEWORK_FEED_URL is set), the outbox.

    Each step commits its own work as it goes; one that fails is rolled back to its last commit,
    logged and recorded on the run, and the next steps still run. The run ends 'ok' or 'failed' with
    its counts and finished time, and gives up its claim; a failed one is simply retried by the next slot.
    """
    log.info("intake run %s (%s, slot %s) started", run.id, run.trigger, run.slot_key)
    with heartbeat(run):
        errors = [e for e in (_step(name, step, run) for name, step in _steps()) if e]
        _finish(run, errors)


@contextmanager
def heartbeat(run: IntakeRun):
    """While the block runs, every commit of this session also writes the run's heartbeat.

    A commit is where work becomes done (a batch of rows, a file, a feed page, a reply), and the steps
    commit at least that often, whoever wrote them: beating there needs no call in each of them, cannot
    be forgotten in a new one, and stops, as it should, when the work stops committing.
    """
    session = db.session()  # this context's session: the listener is on it alone

    def beat(session) -> None:
        session.execute(
            update(IntakeRun)
            .where(IntakeRun.id == run.id)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    event.listen(session, "before_commit", beat)
    try:
        yield
    finally:
        event.remove(session, "before_commit", beat)


def carry_out_in_background(app: Flask, run_id: int) -> threading.Thread:
    """Carry out a claimed run on a thread of this process, with its own app context and session, so
    that whoever claimed it need not wait. If the thread dies, the run is recorded failed; if the
    process dies, its heartbeat stops and the run counts as interrupted after the run limit."""
    thread = threading.Thread(target=_carry_out_by_id, args=(app, run_id), name=f"intake-run-{run_id}", daemon=True)
    thread.start()
    return thread


def _carry_out_by_id(app: Flask, run_id: int) -> None:
    with app.app_context():  # its own session, removed with the context
        try:
            carry_out(db.session.get_one(IntakeRun, run_id))
        except Exception as exc:  # noqa: BLE001 - whatever breaks, the run must not stay 'running'
            log.exception("intake run %s stopped", run_id)
            db.session.rollback()
            _give_up(run_id, f"interrupted: {type(exc).__name__}: {exc}")


def _give_up(run_id: int, error: str) -> None:
    """Record a run whose thread broke as failed and free its claim (if even that fails, the limit will)."""
    try:
        failed = db.session.scalars(
            update(IntakeRun)
            .where(IntakeRun.id == run_id, IntakeRun.status == "running")
            .values(status="failed", finished_at=utcnow(), error=error[:MAX_ERROR])
            .returning(IntakeRun)
        ).one_or_none()
        if failed is not None:
            _tell_failed(failed)
        _release(run_id)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database itself may be what broke; the run limit covers that
        db.session.rollback()
        log.exception("intake run %s could not be recorded as failed", run_id)


def _tell_failed(run: IntakeRun) -> None:
    """Every dispatcher is told that the run failed, with its error, in the commit that records it."""
    notices.notify_dispatchers("intake_failed", time=localtime(run.started_at), text=run.error or "")


def _release(run_id: int) -> None:
    db.session.execute(delete(IntakeState).where(IntakeState.name == RUNNING, IntakeState.value == str(run_id)))


def close_interrupted_runs() -> None:
    """Runs left 'running' by a process that stopped (killed, machine restarted), with no sign of work for
    the limit, become failed, and a claim naming no run in progress is dropped, so that neither blocks a
    new run. Does not commit: the claim that calls it does, in the same transaction."""
    now = utcnow()
    db.session.execute(
        update(IntakeRun)
        .where(IntakeRun.status == "running", _last_sign() < now - run_limit())
        .values(status="failed", finished_at=now, error=interrupted_error())
        .execution_options(synchronize_session=False)
    )
    named = cast(IntakeRun.id, String) == IntakeState.value
    in_progress = select(IntakeRun.id).where(named, IntakeRun.status == "running")
    db.session.execute(
        delete(IntakeState)
        .where(IntakeState.name == RUNNING, ~in_progress.exists())
        .execution_options(synchronize_session=False)
    )


def _steps():
    yield "inbox", _inbox
    if current_app.config.get("FEED_URL"):
        yield "feed", feed.import_feed
    yield "replies", _replies


def _inbox(run: IntakeRun) -> None:
    """import_inbox file by file, each counted on the run as it is done; files that could not be read at
    all, or not processed (they stay in the inbox), fail the step once all the others are in, naming them."""
    folder = Path(current_app.config["INBOX_DIR"])
    refused, failed = [], []
    for path in inbox.waiting_files(folder):
        try:
            result = inbox.import_file(path, run, folder)
        except inbox.FileNotProcessed as exc:
            result = exc.result  # what of it was committed
            failed.append(exc)
        feed.add_counts(run, result)
        db.session.commit()
        refused += result.refused
    if refused or failed:
        raise inbox.FilesNotRead(refused, failed)


def _replies(run: IntakeRun) -> None:
    problem = outbox.send_pending(run).not_delivered()
    if problem is not None:
        raise problem


def _step(name: str, step, run: IntakeRun) -> str | None:
    """Run one step; its failure becomes a line of the run's error instead of ending the run, stored in
    the township's language (see intake/messages.py); the log has it in English."""
    try:
        step(run)
    except IntakeProblem as exc:  # the platform's answer, files that cannot be read, replies not taken
        db.session.rollback()
        log.warning("intake run %s: %s failed: %s", run.id, name, exc)
        return step_error(name, exc.render)
    except Exception as exc:  # noqa: BLE001 - whatever breaks, the run must still be recorded as failed
        db.session.rollback()
        log.exception("intake run %s: %s failed", run.id, name)
        return step_error(name, f"{type(exc).__name__}: {exc}")
    return None


def _finish(run: IntakeRun, errors: list[str]) -> None:
    run.status = "failed" if errors else "ok"
    run.error = "\n".join(errors)[:MAX_ERROR] or None
    run.finished_at = utcnow()
    if errors:
        _tell_failed(run)
    _release(run.id)
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
    """The latest finished run when it failed (or was interrupted): shown until a later run succeeds."""
    query = (
        select(IntakeRun)
        .where(or_(IntakeRun.status != "running", _last_sign() < utcnow() - run_limit()))
        .order_by(IntakeRun.started_at.desc(), IntakeRun.id.desc())
        .limit(1)
    )
    latest = db.session.scalar(query)
    return latest if latest is not None and latest.status != "ok" else None


def run_error(run: IntakeRun) -> str | None:
    """What went wrong, as recorded; for an interrupted run not yet closed, that it was interrupted."""
    return interrupted_error() if not run.error and is_interrupted(run) else run.error
