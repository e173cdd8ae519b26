"""The scheduled jobs, all declared here with stable ids, and the commands that run them.

The intake runs at CASEWORK_POLL_TIMES (local time, CASEWORK_TIMEZONE). Where the jobs run:
- CASEWORK_SCHEDULER=embedded: a BackgroundScheduler inside the web process (`make run`, one process);
- `flask --app wsgi scheduler`: a BlockingScheduler as its own process, beside web workers that run
  with CASEWORK_SCHEDULER=off.
Either way each slot runs once: intake_run claims the slot's key in the database before it fetches.
Beside the intake: on MONTHLY_EXPORT_DAY at MONTHLY_EXPORT_TIME, last month's statistics are saved in
every format into CASEWORK_EXPORT_DIR (casework/stats/archive.py); a missed month is saved at start-up.
At start-up the dashboard's closed months are counted and kept (stats_snapshots) in the background.
One intake runs at a time: a slot that comes while another run is running (the dispatcher's "fetch
now", say) waits for it to finish, then runs; "fetch now" pressed while a run is running starts none.
"""

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import reminders
from .clock import local_zone
from .extensions import db
from .intake.run import intake_run, running_run, slot_taken
from .models import IntakeRun, JobRun
from .notify.outbox import send_due
from .reminders import reminder_run, slot_of
from .sessions import purge_expired
from .stats.archive import archive_last_month
from .stats.dashboard import dashboard

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30 * 60}
CATCH_UP_JOB = "intake-catch-up"
ARCHIVE_JOB = "stats-monthly-archive"
ARCHIVE_CATCH_UP_JOB = "stats-archive-catch-up"
DASHBOARD_JOB = "stats-dashboard-months"
SESSIONS_JOB = "sessions-purge"
REMINDERS_JOB = reminders.JOB  # the scheduler's id is the name its runs are recorded under
REMINDERS_CATCH_UP_JOB = "reminders-catch-up"
NOTIFY_JOB = "notify-send"

_embedded: BackgroundScheduler | None = None
_embedded_lock = threading.Lock()


def poll_times(app: Flask) -> list[time]:
    """CASEWORK_POLL_TIMES ("08:30,11:30,...") as sorted local times (empty: no schedule); a bad
    entry stops the start-up with a clear message."""
    times = set()
    for item in str(app.config["POLL_TIMES"] or "").split(","):
        if not item.strip():
            continue
        try:
            times.add(time.fromisoformat(item.strip()).replace(second=0, microsecond=0))
        except ValueError as exc:
            raise ValueError(f"CASEWORK_POLL_TIMES: {item.strip()!r} is not a time like 08:30") from exc
    return sorted(times)


def job_id(at: time) -> str:
    return f"intake-{at:%H%M}"


def slot_key(slot: datetime) -> str:
    """The slot's local date and time, e.g. 2026-11-30T08:30+08:00: the same in every process."""
    return slot.isoformat(timespec="minutes")


def latest_slot(now: datetime, times: list[time], tz: ZoneInfo) -> datetime | None:
    """The most recent slot at or before `now`: today's latest passed time, or yesterday's last."""
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        for at in reversed(times):
            slot = datetime.combine(day, at, tzinfo=tz)
            if slot <= now:
                return slot
    return None


def triggers(app: Flask) -> dict[str, CronTrigger]:
    tz = local_zone(app.config)
    return {job_id(at): CronTrigger(hour=at.hour, minute=at.minute, timezone=tz) for at in poll_times(app)}


def next_slots(app: Flask, now: datetime, count: int = 4) -> list[datetime]:
    """The next `count` scheduled intake times after `now`, as the cron triggers compute them."""
    times = []
    for trigger in triggers(app).values():
        fire = trigger.get_next_fire_time(None, now)
        for _ in range(count):
            times.append(fire)
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return sorted(times)[:count]


# --- the jobs ------------------------------------------------------------------------------------


def declare_jobs(scheduler, app: Flask) -> None:
    """Every periodic job Casework has, with stable ids (one cron job per poll time, and the monthly
    statistics archive when CASEWORK_EXPORT_DIR is set)."""
    for (ident, trigger), at in zip(triggers(app).items(), poll_times(app), strict=True):
        scheduler.add_job(
            scheduled_intake,
            trigger,
            args=[app, at.isoformat("minutes")],
            id=ident,
            name=f"intake at {at:%H:%M}",
            replace_existing=True,
        )
    hourly = CronTrigger(minute=17, timezone=local_zone(app.config))
    scheduler.add_job(
        purge_sessions, hourly, args=[app], id=SESSIONS_JOB, name="expired sessions", replace_existing=True
    )
    every = CronTrigger(minute=f"*/{app.config['REMINDER_MINUTES']}", timezone=local_zone(app.config))
    scheduler.add_job(remind, every, args=[app], id=REMINDERS_JOB, name="reminders", replace_existing=True)
    sending = IntervalTrigger(seconds=float(app.config["NOTIFY_SEND_SECONDS"]))
    scheduler.add_job(
        send_notifications, sending, args=[app], id=NOTIFY_JOB, name="send notifications", replace_existing=True
    )
    if app.config.get("EXPORT_DIR"):
        scheduler.add_job(
            monthly_archive,
            archive_trigger(app),
            args=[app],
            id=ARCHIVE_JOB,
            name="save last month's statistics",
            replace_existing=True,
        )


def purge_sessions(app: Flask) -> int:
    """Hourly: the sessions past their idle or absolute limits are deleted (a visitor's login page leaves
    a row; a browser closed for good never comes back to end its own)."""
    with app.app_context():
        purged = purge_expired()
        db.session.remove()
        return purged


def remind(app: Flask) -> JobRun | None:
    """Every REMINDER_MINUTES: the reminders (黄牌, 红牌) of this slot, once across all schedulers."""
    with app.app_context():
        slot = slot_of(datetime.now(local_zone(app.config)), int(app.config["REMINDER_MINUTES"]))
        run = reminder_run(slot_key(slot))
        if run is not None:
            db.session.refresh(run)  # read now: the app context's session ends here
        return run


def send_notifications(app: Flask):
    """Every NOTIFY_SEND_SECONDS: the channels' outbox sent (casework.notify.outbox: each delivery claimed before
    it is sent, so that two schedulers never send one twice)."""
    with app.app_context():
        counts = send_due()
        db.session.remove()
        return counts


def archive_trigger(app: Flask) -> CronTrigger:
    at = time.fromisoformat(app.config["MONTHLY_EXPORT_TIME"])
    day = int(app.config["MONTHLY_EXPORT_DAY"])
    return CronTrigger(day=day, hour=at.hour, minute=at.minute, timezone=local_zone(app.config))


def monthly_archive(app: Flask) -> list:
    """The monthly job, and the start-up catch-up: last month's statistics files, when due and missing."""
    with app.app_context():
        return archive_last_month()


def scheduled_intake(app: Flask, at: str) -> IntakeRun | None:
    """The cron job: run the slot of this poll time that has just come (once across all schedulers),
    after the run in progress, if any, has finished."""
    with app.app_context():
        tz = local_zone(app.config)
        slot = latest_slot(datetime.now(tz), [time.fromisoformat(at)], tz)
        return intake_run("schedule", slot_key=slot_key(slot), wait=True)


def catch_up(app: Flask, now: datetime | None = None) -> IntakeRun | None:
    """At start-up: the latest slot that has passed (today's, or yesterday's last) runs now unless a
    run already has it. Claiming its key makes this happen once, however many schedulers start."""
    with app.app_context():
        tz = local_zone(app.config)
        slot = latest_slot(now or datetime.now(tz), poll_times(app), tz)
        if slot is None:
            return None
        key = slot_key(slot)
        if slot_taken(key):
            return None
        log.info("slot %s was missed while the service was down: running it now", key)
        return intake_run("startup", slot_key=key, wait=True)


def build_scheduler(cls, app: Flask, with_catch_up: bool = True):
    """A scheduler of class `cls` with every job declared, and the one-off catch-up of a missed slot."""
    scheduler = cls(timezone=local_zone(app.config), job_defaults=JOB_DEFAULTS)
    declare_jobs(scheduler, app)
    if with_catch_up:
        scheduler.add_job(catch_up, args=[app], id=CATCH_UP_JOB, name="catch up a missed slot")
        # the reminders of the present slot at once, not up to REMINDER_MINUTES later (claimed like the others)
        scheduler.add_job(remind, args=[app], id=REMINDERS_CATCH_UP_JOB, name="reminders at start-up")
        if app.config.get("EXPORT_DIR"):
            scheduler.add_job(monthly_archive, args=[app], id=ARCHIVE_CATCH_UP_JOB, name="save a missed archive")
        scheduler.add_job(keep_dashboard_months, args=[app], id=DASHBOARD_JOB, name="count the dashboard's months")
    return scheduler


def keep_dashboard_months(app: Flask) -> None:
    """At start-up: count and keep the closed months the leaders' dashboard shows (after an upgrade that
    changed how figures are counted, every month is counted again), so that its first view is quick."""
    with app.app_context():
        dashboard()
        db.session.remove()


# --- where the jobs run --------------------------------------------------------------------------


def should_embed(app: Flask) -> bool:
    """Only a serving process with CASEWORK_SCHEDULER=embedded; never in tests or a `flask` command."""
    if app.config.get("SCHEDULER") != "embedded" or app.testing:
        return False
    return os.environ.get("FLASK_RUN_FROM_CLI") != "true"


def start_embedded(app: Flask, with_catch_up: bool = True) -> BackgroundScheduler:
    """Start the jobs on a background thread of this process; once per process, whatever the caller."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            scheduler = build_scheduler(BackgroundScheduler, app, with_catch_up)
            _log_runs_to_stderr()
            scheduler.start()
            atexit.register(_stop, scheduler)
            _embedded = scheduler
            log.info("embedded scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return _embedded


def _log_runs_to_stderr() -> None:
    """In a server that configured no logging (gunicorn's default), the runs still show in its output."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("casework").setLevel(logging.INFO)


def stop_embedded() -> None:
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _stop(_embedded)
            _embedded = None


def _stop(scheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


def init_app(app: Flask) -> None:
    if should_embed(app):
        start_embedded(app)


# --- commands ------------------------------------------------------------------------------------


def run_summary(run: IntakeRun) -> str:
    line = (
        f"intake run {run.id} {run.status}: fetched {run.fetched}, new {run.new}, duplicates {run.duplicates}, "
        f"rejected {run.rejected}, replies sent {run.replies_sent}"
    )
    return line + (f"\n{run.error}" if run.error else "")


@click.command("poll")
@with_appcontext
def poll_command() -> None:
    """Run one intake now (inbox, feed, replies) and print its counts; none while another is running."""
    run = intake_run("manual")
    if run is None:
        busy = running_run()
        click.echo(f"intake run {busy.id} ({busy.trigger}) is running: " if busy else "", nl=False)
        click.echo("one intake runs at a time; nothing was started")
        sys.exit(1)
    click.echo(run_summary(run))
    if run.status != "ok":
        sys.exit(1)


@click.command("remind")
@click.option("--at", "at", default=None, help="the moment to remind for, e.g. 2026-12-07T16:00 (local time)")
@with_appcontext
def remind_command(at: str | None) -> None:
    """Send the reminders (黄牌, 红牌) due now, or at --at, once; print what was sent."""
    run = reminder_run(now=_moment(at) if at else None)
    counts = ", ".join(f"{key} {value}" for key, value in run.detail.items())
    click.echo(f"reminder run {run.id} {run.status}: {counts}" + (f"\n{run.error}" if run.error else ""))
    if run.status != "ok":
        sys.exit(1)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a time like 2026-12-07T16:00", param_hint="--at") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs in this process until stopped (web workers then use CASEWORK_SCHEDULER=off)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    scheduler = build_scheduler(BlockingScheduler, app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    for slot in next_slots(app, datetime.now(local_zone(app.config))):
        click.echo(f"next intake: {slot:%Y-%m-%d %H:%M %Z}")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    click.echo("scheduler stopped")


def init_cli(app: Flask) -> None:
    app.cli.add_command(poll_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(remind_command)
