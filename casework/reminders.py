"""Reminders (黄牌 / 红牌): a warning when a case's deadline comes near, another once it has passed.

Two deadlines of a case are watched: the acknowledgement deadline (签收) of an order nobody has been given
yet, which concerns the dispatchers, and the due time (办理时限), which concerns the cadre holding the case
(and the dispatchers when REMINDERS_TO_DISPATCHERS is set, or when nobody holds it yet). Near and passed are
the house's own rules, deadlines.ack_state and deadlines.due_state ('due-soon', 'overdue').

Each reminder goes out once per case, deadline, stage and deadline value: its ReminderSent row is inserted
first (uq_reminders_sent_once), and a duplicate means another process has sent it. An extension moves the due
time, so the warning for the new one follows. A case first seen past its deadline gets only the overdue one,
and only while that is news: within REMINDER_LOOKBACK_HOURS of the deadline (a scheduler down for a few hours
still sends it); one overdue for longer when first seen (the first run after an upgrade) gets none.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import selectinload

from . import deadlines, job_runs
from .clock import local_zone, localtime
from .extensions import db, insert_ignoring_known
from .models import Case, JobRun, ReminderSent, utcnow
from .notices import notify, notify_dispatchers, remembering_audiences

log = logging.getLogger(__name__)

JOB = "reminders"
BATCH = 200  # cases per transaction: a lock held by one batch is short, a failure undoes one batch only
STAGES = {"due-soon": "warning", "overdue": "overdue"}  # the state a deadline is in -> the reminder it earns
KINDS = ("ack_warning", "ack_overdue", "due_warning", "due_overdue")  # f"{deadline}_{stage}": the notices' kinds
COUNTED = (*KINDS, "notices", "taken")


@dataclass(frozen=True)
class Deadline:
    """One of a case's two deadlines: its name in ReminderSent, its column, the house's rule of its state, and
    the SQL that picks the cases whose deadline may be near at `now` or passed lately (a superset of the
    near ones: the rule decides; the passed ones only since lookback_start)."""

    name: str
    column: object
    state_of: Callable[[Case, datetime], str]
    window: Callable[[datetime], object]


def _ack_window(now: datetime):
    lead = deadlines.rules().ack_due_soon
    return and_(Case.awaiting_acknowledgement, Case.ack_due_at >= lookback_start(now), Case.ack_due_at <= now + lead)


def _due_window(now: datetime):
    return and_(Case.deadline_running, Case.due_at >= lookback_start(now), Case.due_at < due_soon_bound(now))


def lookback_start(now: datetime) -> datetime:
    """A deadline that passed before this is no news at `now`: no reminder (REMINDER_LOOKBACK_HOURS before)."""
    return now - timedelta(hours=float(current_app.config.get("REMINDER_LOOKBACK_HOURS", 24)))


def due_soon_bound(now: datetime) -> datetime:
    """A due time at or after this is not due soon at `now`: the start of the local day after the
    DUE_SOON_WORKING_DAYS-th working day after today (the rule counts working days back from the due time)."""
    r = deadlines.rules()
    last = r.calendar.workday_after(r.calendar.local_date(now), r.due_soon_days)
    return datetime.combine(last + timedelta(days=1), time(0), r.calendar.zone)


ACK = Deadline("ack", Case.ack_due_at, deadlines.ack_state, _ack_window)
DUE = Deadline("due", Case.due_at, deadlines.due_state, _due_window)


def send_reminders(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Send every reminder due at `now` (default: now) that has not been sent, committing batch by batch.
    Returns how many of each kind were sent, the notices written, and those another process had sent."""
    now = now or utcnow()
    counts: Counter = Counter()
    for deadline in (ACK, DUE):
        for cases in _batches(deadline, now, batch):
            with remembering_audiences():  # nobody's channels change in a batch: read each once
                counts.update(_remind(cases, deadline, now))
            db.session.commit()
    return {key: counts[key] for key in COUNTED}


def _batches(deadline: Deadline, now: datetime, size: int):
    """The candidate cases in (deadline, id) order, `size` at a time, by keyset: SQL's window, less the cases
    that already have the reminder their deadline's side of `now` calls for."""
    after = None
    while True:
        query = _candidates(deadline, now, after).limit(size)
        cases = db.session.scalars(query.options(selectinload(Case.assignee))).all()
        if not cases:
            return
        yield cases
        after = (getattr(cases[-1], deadline.column.key), cases[-1].id)


def _candidates(deadline: Deadline, now: datetime, after: tuple[datetime, int] | None):
    column = deadline.column
    stage = case((column < now, "overdue"), else_="warning")
    sent = exists().where(
        ReminderSent.case_id == Case.id,
        ReminderSent.deadline == deadline.name,
        ReminderSent.stage == stage,
        ReminderSent.deadline_at == column,
    )
    query = select(Case).where(deadline.window(now), ~sent).order_by(column, Case.id)
    if after is not None:
        query = query.where(or_(column > after[0], and_(column == after[0], Case.id > after[1])))
    return query


def _remind(cases: list[Case], deadline: Deadline, now: datetime) -> Counter:
    """The reminders these cases' deadline earns at `now` that no one has sent: their rows, their notices."""
    earned = [(one, stage) for one in cases if (stage := STAGES.get(deadline.state_of(one, now)))]
    if not earned:
        return Counter()
    ours = _mark_sent(deadline, earned, now)
    counts = Counter(taken=len(earned) - len(ours))
    with db.session.no_autoflush:  # the notices go in at the commit, together
        for one, stage in earned:
            if (one.id, stage) in ours:
                kind, at = f"{deadline.name}_{stage}", getattr(one, deadline.column.key)
                notices = _tell(one, deadline is DUE, kind, case=one, at=now, deadline=localtime(at))
                counts.update({kind: 1, "notices": len(notices)})
    return counts


def _tell(one: Case, due: bool, kind: str, **words) -> list:
    """The dispatchers, for an acknowledgement, a case nobody holds, or when REMINDERS_TO_DISPATCHERS; the
    cadre holding the case, for its due time (once, should the holder be a dispatcher told already)."""
    holder = one.assignee if due else None
    to_dispatchers = holder is None or bool(current_app.config.get("REMINDERS_TO_DISPATCHERS"))
    notices = notify_dispatchers(kind, **words) if to_dispatchers else []
    if holder is not None and not (to_dispatchers and holder.role == "dispatcher"):
        notices.append(notify(holder, kind, **words))
    return [n for n in notices if n is not None]


def _mark_sent(deadline: Deadline, earned: list[tuple[Case, str]], now: datetime) -> set[tuple[int, str]]:
    """Insert the reminders' rows; those already there (another process sent them) are skipped. Returns the
    (case id, stage) of the rows this call inserted: the reminders it is to send."""
    rows = [
        dict(case_id=one.id, deadline=deadline.name, stage=stage, deadline_at=getattr(one, deadline.column.key))
        for one, stage in earned
    ]
    table = ReminderSent.__table__
    insert = insert_ignoring_known(table, ["case_id", "deadline", "stage", "deadline_at"])
    inserted = db.session.execute(insert.values(sent_at=now).returning(table.c.case_id, table.c.stage), rows)
    return {(case_id, stage) for case_id, stage in inserted}


# --- the job ---------------------------------------------------------------------------------------------


def slot_of(now: datetime, minutes: int) -> datetime:
    """The local slot of `now` for a job every `minutes` minutes (cron's */minutes: from each full hour)."""
    local = now.astimezone(local_zone())
    return local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)


def reminder_run(slot_key: str | None = None, now: datetime | None = None) -> JobRun | None:
    """Claim the slot (None: another scheduler has it; no key: a run by hand), send the reminders due at `now`,
    and record the run with its counts, or its error (what was committed before it stays sent)."""
    run = job_runs.claim(JOB, slot_key or job_runs.manual_key())
    if run is None:
        return None
    try:
        counts = send_reminders(now)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, shown on the runs page
        log.exception("reminder run %s failed", run.slot_key)
        db.session.rollback()
        return job_runs.finish(run, "failed", error=f"{type(exc).__name__}: {exc}")
    return job_runs.finish(run, "ok", counts)
