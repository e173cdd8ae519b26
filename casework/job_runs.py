"""The runs of the periodic jobs other than the intake (reminders, backups): one row per slot, claimed first.

A job claims its slot (a local time like 2026-12-05T16:15+08:00) by inserting its JobRun: the unique
(job, slot_key) refuses a second scheduler reaching the same slot, so each slot runs once. The claim is
committed before the work starts, so that the other schedulers see it. A run still 'running' long after
the job's period has lost its process (killed, restarted): the next claim of that job closes it as failed.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import JobRun, utcnow
from .models.notices import MANUAL_KEY_PREFIX

MAX_ERROR = 4000  # characters of a run's error kept (intake runs too)
DEAD_AFTER = timedelta(hours=1)  # far past a 15-minute job's period; a daily job passes its own
INTERRUPTED = "interrupted: still running after {minutes} minutes, so the process running it has stopped"


def manual_key() -> str:
    """A key no schedule uses, for a run started by hand (a command, "fetch now"), so that it never takes a slot."""
    return f"{MANUAL_KEY_PREFIX}{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def claim(job: str, slot_key: str, *, dead_after: timedelta = DEAD_AFTER) -> JobRun | None:
    """Insert and COMMIT the run of `job` for `slot_key`, or None when another scheduler has that slot.
    The job's runs left 'running' for longer than `dead_after` are closed as failed in the same commit."""
    now = utcnow()
    close_dead_runs(job, now - dead_after, INTERRUPTED.format(minutes=round(dead_after.total_seconds() / 60)))
    run = JobRun(job=job, slot_key=slot_key, status="running", started_at=now, detail={})
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def close_dead_runs(job: str, started_before: datetime, error: str) -> None:
    """The job's runs still 'running' that started before `started_before` end as failed (not committed)."""
    db.session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == "running", JobRun.started_at < started_before)
        .values(status="failed", finished_at=utcnow(), error=error)
    )


def finish(run: JobRun, status: str, detail: dict | None = None, error: str | None = None) -> JobRun:
    """Record how the run ended ('ok' or 'failed'), what it did (counts) and its error, and COMMIT it."""
    run.status = status
    run.finished_at = utcnow()
    run.detail = dict(detail or {})
    run.error = error[:MAX_ERROR] if error else None
    db.session.commit()
    return run


def recent(job: str, limit: int = 5) -> list[JobRun]:
    """The job's latest runs, newest first."""
    query = select(JobRun).where(JobRun.job == job).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    return list(db.session.scalars(query.limit(limit)))
