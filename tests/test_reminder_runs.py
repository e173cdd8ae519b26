"""The reminders' job: its slot claimed once across schedulers, each reminder sent once by runs at the same moment,
every run recorded with its counts (or its error), the command that runs it by hand, and the runs page."""

import threading
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from casework import job_runs, jobs, reminders
from casework.extensions import db
from casework.models import JobRun, Notification, ReminderSent, utcnow
from tests.helpers import Person, end_of, local, login_as

SLOT = "2026-12-08T08:00+08:00"


def at(*args):
    return local(*args).astimezone(UTC)


def due_cases(make, world, n: int, day: int = 8) -> list:
    """`n` orders held by cadre1 since December 1, due at the end of December `day`."""
    fields = dict(state="assigned", assignee=world.cadre1, acknowledged_at=at(2026, 12, 1, 9, 0))
    return [
        make.order(village=world.v1, received_at=at(2026, 12, 1, 8, 0), due_at=end_of(2026, 12, day), **fields)
        for _ in range(n)
    ]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def together(people, *calls):
    """Start each call on its own Person (thread, app context, connection) at the same moment; their results."""
    gate = threading.Barrier(len(calls))

    def at_the_gate(call):
        def go():
            gate.wait(10)
            return call()

        return go

    answers = [people().start(at_the_gate(call)) for call in calls]
    return [Person.outcome(answer) for answer in answers]


def test_two_runs_at_the_same_moment_send_each_reminder_once(world, make, people):
    due_cases(make, world, 12)
    now = at(2026, 12, 8, 9, 0)

    first, second = together(people, *[lambda: reminders.send_reminders(now, batch=3)] * 2)

    assert first["due_warning"] + second["due_warning"] == 12
    db.session.expire_all()
    assert count(ReminderSent) == 12
    assert count(Notification, Notification.recipient_id == world.cadre1.id) == 12
    distinct = select(func.count(func.distinct(Notification.case_id))).where(Notification.kind == "due_warning")
    assert db.session.scalar(distinct) == 12


def test_two_schedulers_claiming_the_same_slot_one_runs(world, make, people):
    due_cases(make, world, 2)
    now = at(2026, 12, 8, 9, 0)

    runs = together(people, *[lambda: reminders.reminder_run(SLOT, now)] * 2)

    ran = [r for r in runs if r is not None]
    assert len(ran) == 1 and ran[0].status == "ok"
    assert count(JobRun, JobRun.job == "reminders") == 1
    assert count(Notification, Notification.kind == "due_warning") == 2


def test_a_slot_claimed_once_is_refused_the_second_time(app):
    assert job_runs.claim("backup", "2026-12-08T03:00+08:00") is not None
    assert job_runs.claim("backup", "2026-12-08T03:00+08:00") is None
    assert job_runs.claim("reminders", "2026-12-08T03:00+08:00") is not None  # another job, its own slots


def test_the_run_is_recorded_with_its_counts(world, make):
    due_cases(make, world, 2)

    run = reminders.reminder_run(SLOT, at(2026, 12, 8, 9, 0))

    db.session.expire_all()
    (recorded,) = job_runs.recent("reminders")
    assert (recorded.id, recorded.slot_key, recorded.status, recorded.error) == (run.id, SLOT, "ok", None)
    assert recorded.detail["due_warning"] == recorded.detail["notices"] == 2
    assert recorded.finished_at >= recorded.started_at


def test_a_run_that_fails_is_recorded_with_its_error_and_the_next_slot_runs(world, make, app):
    due_cases(make, world, 1)
    app.config["DEADLINE_DUE_DEFAULT"] = "soon"  # the rules are read on first use: this run cannot count

    failed = reminders.reminder_run(SLOT, at(2026, 12, 8, 9, 0))

    assert failed.status == "failed" and "deadline rule 'soon'" in failed.error
    app.config["DEADLINE_DUE_DEFAULT"] = "5wd"
    assert reminders.reminder_run("2026-12-08T08:15+08:00", at(2026, 12, 8, 9, 15)).detail["due_warning"] == 1


def test_a_run_left_running_long_past_the_period_is_closed_as_failed(app):
    dead = job_runs.claim("reminders", "2026-12-08T06:00+08:00")
    dead.started_at = utcnow() - timedelta(hours=2)
    alive = job_runs.claim("reminders", "2026-12-08T07:45+08:00")
    db.session.commit()

    job_runs.claim("reminders", "2026-12-08T08:00+08:00")

    db.session.expire_all()
    assert (dead.status, alive.status) == ("failed", "running")
    assert dead.error.startswith("interrupted")


def test_the_job_is_declared_every_reminder_period_in_local_time(app):
    app.config["REMINDER_MINUTES"] = 15
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    jobs.declare_jobs(scheduler, app)

    trigger = scheduler.get_job(jobs.REMINDERS_JOB).trigger
    fire = trigger.get_next_fire_time(None, local(2026, 12, 5, 16, 1))
    assert (fire, trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))) == (
        local(2026, 12, 5, 16, 15),
        local(2026, 12, 5, 16, 30),
    )


def test_the_scheduled_job_claims_the_slot_of_now(app):
    run = jobs.remind(app)

    assert run is not None and run.status == "ok" and run.slot_key.endswith("+08:00")
    second = jobs.remind(app)
    assert second is None or second.slot_key != run.slot_key  # the same slot again, unless the clock moved on


def test_the_command_runs_once_and_prints_the_counts(world, make, runner):
    due_cases(make, world, 2)

    result = runner.invoke(args=["remind", "--at", "2026-12-08T09:00"])

    assert result.exit_code == 0, result.output
    assert "due_warning 2" in result.output and "notices 2" in result.output
    again = runner.invoke(args=["remind", "--at", "2026-12-08T09:00"])  # by hand: never refused as a slot
    assert "due_warning 0" in again.output
    assert count(JobRun, JobRun.job == "reminders", JobRun.slot_key.startswith("manual-")) == 2


def test_the_command_refuses_a_moment_it_cannot_read(runner):
    result = runner.invoke(args=["remind", "--at", "tomorrow"])

    assert result.exit_code == 2 and "2026-12-07T16:00" in result.output


def test_the_runs_page_shows_the_last_reminder_runs(world, make, client):
    due_cases(make, world, 2)
    reminders.reminder_run(SLOT, at(2026, 12, 8, 9, 0))
    login_as(client, world.dispatcher)

    page = client.get("/runs").get_data(as_text=True)

    assert "data-reminder-runs" in page and "2026-12-08 08:00" in page


def test_a_run_by_hand_is_shown_as_such_not_by_its_key(world, client):
    run = reminders.reminder_run(now=at(2026, 12, 8, 9, 0))
    login_as(client, world.dispatcher)

    page = client.get("/runs").get_data(as_text=True)

    assert run.by_hand and run.slot_key not in page and run.slot_key[:16].replace("T", " ") not in page
    assert "By hand" in page.split("data-reminder-runs", 1)[1]
