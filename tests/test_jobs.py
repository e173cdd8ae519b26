"""The schedule: slots and their keys, the claim that lets one scheduler run a slot, catch-up, commands."""

import os
import queue
import subprocess
import sys
import threading
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select, update

from casework import create_app, jobs
from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake import run as intake
from casework.intake.run import intake_run
from casework.models import Case, IntakeRun

SH = ZoneInfo("Asia/Shanghai")
TIMES = [time(8, 30), time(11, 30), time(14, 30), time(17, 30)]
TOKEN = "jobs-token"


@pytest.fixture
def platform(app):
    fake = FakePlatform(generate_tickets(3), token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_TIMEOUT=5)
        yield fake


def runs() -> list[IntakeRun]:
    return list(db.session.scalars(select(IntakeRun).order_by(IntakeRun.id)))


# --- slots ---------------------------------------------------------------------------------------


def test_poll_times_are_read_from_the_setting_in_order(app):
    app.config["POLL_TIMES"] = " 17:30,08:30 ,11:30"
    assert jobs.poll_times(app) == [time(8, 30), time(11, 30), time(17, 30)]


def test_no_poll_times_means_no_schedule_and_no_catch_up(app):
    app.config["POLL_TIMES"] = ""
    scheduler = jobs.build_scheduler(BackgroundScheduler, app, with_catch_up=False)

    assert sorted(job.id for job in scheduler.get_jobs()) == sorted(
        [jobs.ARCHIVE_JOB, jobs.SESSIONS_JOB, jobs.REMINDERS_JOB, jobs.NOTIFY_JOB]
    )  # no intake
    assert jobs.next_slots(app, datetime(2026, 11, 30, 10, 0, tzinfo=SH)) == []
    assert jobs.catch_up(app, now=datetime(2026, 11, 30, 12, 0, tzinfo=SH)) is None


def test_a_bad_poll_time_is_a_clear_error(app):
    app.config["POLL_TIMES"] = "08:30,half past eleven"
    with pytest.raises(ValueError, match="half past eleven"):
        jobs.poll_times(app)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (datetime(2026, 11, 30, 12, 0, tzinfo=SH), datetime(2026, 11, 30, 11, 30, tzinfo=SH)),
        (datetime(2026, 11, 30, 8, 30, tzinfo=SH), datetime(2026, 11, 30, 8, 30, tzinfo=SH)),
        (datetime(2026, 11, 30, 7, 0, tzinfo=SH), datetime(2026, 11, 29, 17, 30, tzinfo=SH)),
        (datetime(2026, 11, 30, 23, 0, tzinfo=SH), datetime(2026, 11, 30, 17, 30, tzinfo=SH)),
    ],
)
def test_the_latest_slot_is_todays_last_passed_time_or_yesterdays_last(now, slot):
    assert jobs.latest_slot(now, TIMES, SH) == slot


def test_a_slot_key_is_the_local_date_and_time():
    assert jobs.slot_key(datetime(2026, 11, 30, 8, 30, tzinfo=SH)) == "2026-11-30T08:30+08:00"


def test_the_next_scheduled_times_follow_the_setting(app):
    now = datetime(2026, 11, 30, 10, 0, tzinfo=SH)
    assert jobs.next_slots(app, now) == [
        datetime(2026, 11, 30, 11, 30, tzinfo=SH),
        datetime(2026, 11, 30, 14, 30, tzinfo=SH),
        datetime(2026, 11, 30, 17, 30, tzinfo=SH),
        datetime(2026, 12, 1, 8, 30, tzinfo=SH),
    ]


def test_every_job_is_declared_once_with_a_stable_id_and_a_cron_trigger_in_local_time(app):
    scheduler = BackgroundScheduler(timezone=SH)
    jobs.declare_jobs(scheduler, app)
    jobs.declare_jobs(scheduler, app)  # declaring again replaces, never doubles

    declared = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(declared) == sorted(
        ["intake-0830", "intake-1130", "intake-1430", "intake-1730", jobs.ARCHIVE_JOB, jobs.SESSIONS_JOB]
        + [jobs.REMINDERS_JOB, jobs.NOTIFY_JOB]
    )
    trigger = declared["intake-1430"].trigger
    assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Asia/Shanghai"
    assert trigger.get_next_fire_time(None, datetime(2026, 11, 30, 12, 0, tzinfo=SH)) == datetime(
        2026, 11, 30, 14, 30, tzinfo=SH
    )


def test_the_scheduled_job_runs_the_slot_that_has_just_come(app, platform):
    run = jobs.scheduled_intake(app, "08:30")

    now = datetime.now(SH)
    assert (run.trigger, run.status, run.new) == ("schedule", "ok", 3)
    assert run.slot_key == jobs.slot_key(jobs.latest_slot(now, [time(8, 30)], SH))
    assert jobs.scheduled_intake(app, "08:30") is None  # the same slot again: already claimed


# --- one run per slot ----------------------------------------------------------------------------


def test_two_schedulers_on_one_database_run_a_slot_exactly_once(app, platform):
    other = create_app({**_config_of(app), "FEED_URL": app.config["FEED_URL"], "FEED_TOKEN": TOKEN})
    start = threading.Barrier(2)
    results = {}

    def scheduler(name, flask_app):
        with flask_app.app_context():
            start.wait()
            run = intake_run("schedule", slot_key="2026-11-30T08:30+08:00")
            results[name] = run and run.id
            db.session.remove()

    threads = [threading.Thread(target=scheduler, args=(n, a)) for n, a in (("one", app), ("two", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with other.app_context():
        db.engine.dispose()

    assert sorted(results) == ["one", "two"]
    assert sum(1 for r in results.values() if r) == 1
    [run] = runs()
    assert (run.status, run.new) == ("ok", 3)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 3
    assert sum(r.startswith("GET /tickets") for r in platform.requests) == 2  # one run: a page and "no more"


def _config_of(app) -> dict:
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "WTF_CSRF_ENABLED", "SCHEDULER", "INBOX_DIR")
    return {k: app.config[k] for k in keys} | {"SQLALCHEMY_ENGINE_OPTIONS": {}}


def test_a_slot_already_claimed_does_nothing_at_all(app, platform):
    intake_run("schedule", slot_key="2026-11-30T11:30+08:00")
    platform.requests.clear()

    assert intake_run("schedule", slot_key="2026-11-30T11:30+08:00") is None

    assert platform.requests == []
    assert len(runs()) == 1


def test_a_slot_waiting_for_a_run_a_dead_process_left_runs_once_that_run_passes_the_limit(app, platform, monkeypatch):
    dead = intake.claim_slot(intake.manual_slot_key(), "manual")  # its process then died
    waits = []

    def time_passes(seconds):
        waits.append(seconds)
        ago = intake.utcnow() - timedelta(minutes=16)
        db.session.execute(update(IntakeRun).where(IntakeRun.id == dead.id).values(started_at=ago))
        db.session.commit()

    monkeypatch.setattr(intake, "pause", time_passes)

    run = jobs.scheduled_intake(app, "08:30")

    assert waits == [intake.WAIT_STEP]
    assert (run.trigger, run.status, run.new) == ("schedule", "ok", 3)
    db.session.expire_all()
    assert dead.status == "failed" and dead.error.startswith("interrupted: no sign of work for 15 minutes")


def test_manual_runs_never_collide_with_each_other_or_a_slot(app):
    first, second = intake_run("manual"), intake_run("manual")
    assert first.slot_key != second.slot_key
    assert [r.trigger for r in runs()] == ["manual", "manual"]


# --- catch-up at start-up ------------------------------------------------------------------------


def test_a_slot_missed_while_down_runs_once_at_start_up(app, platform):
    noon = datetime(2026, 11, 30, 12, 0, tzinfo=SH)

    run = jobs.catch_up(app, now=noon)

    assert (run.trigger, run.slot_key, run.new) == ("startup", "2026-11-30T11:30+08:00", 3)
    assert jobs.catch_up(app, now=noon) is None
    assert len(runs()) == 1


def test_before_the_first_slot_the_catch_up_is_yesterdays_last(app):
    run = jobs.catch_up(app, now=datetime(2026, 12, 1, 7, 0, tzinfo=SH))
    assert run.slot_key == "2026-11-30T17:30+08:00"


def test_no_catch_up_when_the_latest_slot_already_ran(app):
    intake_run("schedule", slot_key="2026-11-30T11:30+08:00")

    assert jobs.catch_up(app, now=datetime(2026, 11, 30, 14, 0, tzinfo=SH)) is None
    assert len(runs()) == 1


def test_two_scheduler_processes_started_together_catch_up_a_missed_slot_once(app, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWORK_", "FLASK_"))} | {
        "CASEWORK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CASEWORK_SECRET_KEY": "test",
        "CASEWORK_INBOX_DIR": str(tmp_path / "inbox"),
        "CASEWORK_POLL_TIMES": "00:00",  # always passed today: the catch-up has a slot to run
    }
    schedulers = [SchedulerProcess(env) for _ in range(2)]
    try:
        for scheduler in schedulers:
            scheduler.wait_for("catch up a missed slot", "executed successfully")
    finally:
        outputs = [scheduler.stop() for scheduler in schedulers]

    assert [s.process.returncode for s in schedulers] == [0, 0]
    assert all("scheduler stopped" in output for output in outputs)
    db.session.expire_all()
    [run] = runs()
    assert (run.trigger, run.status) == ("startup", "ok")
    assert run.slot_key == jobs.slot_key(jobs.latest_slot(datetime.now(SH), [time(0, 0)], SH))


class SchedulerProcess:
    """`flask --app wsgi scheduler` as a real process, its output read line by line."""

    def __init__(self, env: dict):
        root = Path(__file__).resolve().parent.parent
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"]
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in iter(self.process.stdout.readline, ""):
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, *parts: str) -> None:
        """Until a line has every part; fails if the process ends first or says nothing for a minute."""
        while True:
            line = self.lines.get(timeout=60)
            assert line is not None, "the scheduler ended early:\n" + "".join(self.seen)
            self.seen.append(line)
            if all(part in line for part in parts):
                return

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; the whole output."""
        self.process.terminate()
        self.process.wait(timeout=30)
        while (line := self.lines.get(timeout=30)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


# --- where the scheduler runs --------------------------------------------------------------------


def test_the_app_starts_no_scheduler_in_tests_or_when_off(app, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    assert not jobs.should_embed(app)  # TESTING
    app.config["TESTING"] = False
    assert not jobs.should_embed(app)  # SCHEDULER=off
    app.config["SCHEDULER"] = "embedded"
    assert jobs.should_embed(app)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # a `flask` command, e.g. db upgrade or poll
    assert not jobs.should_embed(app)


def test_the_embedded_scheduler_starts_once_per_process(app):
    try:
        first = jobs.start_embedded(app, with_catch_up=False)
        second = jobs.start_embedded(app, with_catch_up=False)
        assert first is second and first.running
        # four intake slots, the monthly statistics archive, expired sessions, reminders, the notification sender
        assert len(first.get_jobs()) == 8
    finally:
        jobs.stop_embedded()


# --- commands ------------------------------------------------------------------------------------


def test_flask_poll_runs_one_intake_and_prints_its_counts(runner, platform):
    result = runner.invoke(args=["poll"])

    assert result.exit_code == 0, result.output
    assert "ok: fetched 3, new 3, duplicates 0, rejected 0, replies sent 0" in result.output
    assert [r.trigger for r in runs()] == ["manual"]


def test_flask_poll_fails_with_the_error_when_the_platform_does(runner, platform):
    platform.fail_status = 500

    result = runner.invoke(args=["poll"])

    assert result.exit_code == 1
    assert "failed" in result.output and "HTTP 500" in result.output


def test_flask_poll_starts_nothing_while_a_run_is_running(runner, platform):
    busy = intake.claim_slot("2026-11-30T08:30+08:00", "schedule")

    result = runner.invoke(args=["poll"])

    assert result.exit_code == 1
    assert f"intake run {busy.id} (schedule) is running: one intake runs at a time" in result.output
    assert "nothing was started" in result.output
    assert platform.requests == []
    assert len(runs()) == 1


def test_last_months_statistics_are_saved_on_the_second_at_six_local_time(app):
    trigger = jobs.archive_trigger(app)
    assert trigger.get_next_fire_time(None, datetime(2026, 11, 30, 12, 0, tzinfo=SH)) == datetime(
        2026, 12, 2, 6, 0, tzinfo=SH
    )


def test_without_an_export_dir_no_archive_job_is_declared(app):
    app.config["EXPORT_DIR"] = ""
    scheduler = jobs.build_scheduler(BackgroundScheduler, app)
    assert not {jobs.ARCHIVE_JOB, jobs.ARCHIVE_CATCH_UP_JOB} & {job.id for job in scheduler.get_jobs()}


def test_at_start_up_the_dashboards_closed_months_are_counted_and_kept(app, world):
    from casework.models import StatsSnapshot

    scheduler = jobs.build_scheduler(BackgroundScheduler, app)
    assert jobs.DASHBOARD_JOB in {job.id for job in scheduler.get_jobs()}
    jobs.keep_dashboard_months(app)
    kept = db.session.scalars(select(StatsSnapshot.what).distinct())
    assert set(kept) == {"dashboard-overview", "dashboard-flows"}


def test_at_start_up_the_reminders_of_the_present_slot_run_once_however_many_schedulers_start(app):
    scheduler = jobs.build_scheduler(BackgroundScheduler, app)
    startup = scheduler.get_job(jobs.REMINDERS_CATCH_UP_JOB)
    assert startup is not None and startup.func is jobs.remind
    first, second = jobs.remind(app), jobs.remind(app)  # two schedulers starting: the slot is claimed once
    assert first is not None and first.status == "ok" and second is None
