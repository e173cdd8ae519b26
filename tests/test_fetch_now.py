"""The dispatcher's "fetch now": the run goes on in the background, one run at a time, over real HTTP.

The fake platform holds every GET /tickets on an Event the test sets, so that what the test sees while
a run is in progress does not depend on timing; threads are joined with a timeout, nothing sleeps.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import jobs
from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake import feed
from casework.intake import run as intake
from casework.models import IntakeRun, User, utcnow

TOKEN = "fetch-token"
REFRESH = 'http-equiv="refresh"'


class HeldPlatform(FakePlatform):
    """The fake platform; each GET /tickets waits until the test lets it answer (`answer.set()`)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.reached = threading.Event()  # a run is at the platform, waiting for its answer
        self.answer = threading.Event()

    def _tickets(self):
        self.reached.set()
        self.answer.wait(30)
        return super()._tickets()


@pytest.fixture
def platform(app, world):
    fake = HeldPlatform(generate_tickets(4, villages=("东风村",)), token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_TIMEOUT=30)
        try:
            yield fake
        finally:
            fake.answer.set()
            join_runs()


def join_runs() -> None:
    """Wait for the background runs of this process, then read the database afresh."""
    for thread in threading.enumerate():
        if thread.name.startswith("intake-run-"):
            thread.join(timeout=30)
            assert not thread.is_alive(), f"{thread.name} still running"
    db.session.rollback()


def all_runs() -> list[IntakeRun]:
    return list(db.session.scalars(select(IntakeRun).order_by(IntakeRun.id)))


def ticket_gets(platform: FakePlatform) -> int:
    return sum(r.startswith("GET /tickets") for r in platform.requests)


def claimed_long_ago(minutes: int) -> IntakeRun:
    """A run claimed `minutes` ago whose process then died: it never finished, nor gave up its claim."""
    run = intake.claim_slot(intake.manual_slot_key(), "manual")
    run.started_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()
    return run


@pytest.fixture
def dispatcher(world, auth):
    auth.login(world.dispatcher)
    return world.dispatcher


def test_fetch_now_answers_while_the_run_is_still_at_the_platform(platform, dispatcher, client):
    r = client.post("/runs/poll")

    [run] = all_runs()
    assert r.status_code == 302 and r.location == f"/runs?run={run.id}"
    assert (run.status, run.trigger, run.started_by_id) == ("running", "manual", dispatcher.id)
    assert platform.reached.wait(10) and not platform.answer.is_set()
    page = client.get(r.location).get_data(as_text=True)
    assert "Fetching new orders" in page and "data-run-running" in page and REFRESH in page
    assert page.index(REFRESH) < page.index("</head>")  # the reload is the document's, in its head


def test_the_runs_page_stops_reloading_and_shows_the_counts_once_the_run_is_done(platform, dispatcher, client):
    r = client.post("/runs/poll")
    platform.answer.set()
    join_runs()

    page = client.get(r.location).get_data(as_text=True)

    assert "Intake done: 4 new, 0 duplicates, 0 rejected, 0 replies sent." in page
    assert REFRESH not in page and "data-run-running" not in page
    assert "陈调度" in page
    [run] = all_runs()
    assert (run.status, run.new) == ("ok", 4)


def test_a_second_press_while_a_run_is_running_starts_nothing_and_shows_that_run(platform, dispatcher, client):
    first = client.post("/runs/poll")
    assert platform.reached.wait(10)

    second = client.post("/runs/poll")

    assert second.status_code == 302 and second.location == first.location
    page = client.get(second.location).get_data(as_text=True)
    assert "already running; no second one was started" in page and REFRESH in page
    platform.answer.set()
    join_runs()
    assert len(all_runs()) == 1
    assert ticket_gets(platform) == 2  # one run: the page of four, then "no more"


def test_a_double_click_starts_one_run(platform, world, app):
    both = threading.Barrier(2)
    started = []

    def press():
        with app.app_context():
            both.wait(timeout=10)
            run, new = intake.fetch_now(app, db.session.get(User, dispatcher_id))
            started.append((run.id, new))

    dispatcher_id = world.dispatcher.id
    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(timeout=30)

    assert sorted(new for _, new in started) == [False, True]
    assert len({run_id for run_id, _ in started}) == 1
    platform.answer.set()
    join_runs()
    assert len(all_runs()) == 1


def test_a_platform_that_hangs_past_the_timeout_ends_the_run_failed(platform, dispatcher, client, app, monkeypatch):
    app.config["FEED_TIMEOUT"] = 0.2
    gate = threading.Event()  # the run waits here before the feed, so the test sees it running first
    import_feed = feed.import_feed
    monkeypatch.setattr(feed, "import_feed", lambda run: gate.wait(10) and import_feed(run))

    r = client.post("/runs/poll")

    [run] = all_runs()
    assert r.status_code == 302 and run.status == "running"
    gate.set()
    join_runs()  # the platform never answered: the client gave up after FEED_TIMEOUT
    assert platform.reached.is_set() and not platform.answer.is_set()
    assert run.status == "failed" and run.finished_at is not None
    assert run.error == "feed: GET /tickets: cannot reach the platform (timed out)"
    page = client.get(r.location).get_data(as_text=True)
    assert "Intake failed: feed: GET /tickets: cannot reach the platform (timed out)" in page
    assert REFRESH not in page


def test_a_run_whose_thread_breaks_is_recorded_failed_and_blocks_nothing(platform, dispatcher, client, monkeypatch):
    def broken(run, errors):
        raise RuntimeError("database gone")

    monkeypatch.setattr(intake, "_finish", broken)
    platform.answer.set()

    client.post("/runs/poll")
    join_runs()

    [run] = all_runs()
    assert (run.status, run.error) == ("failed", "interrupted: RuntimeError: database gone")
    assert intake.running_run() is None


def test_a_run_left_running_past_the_limit_is_shown_interrupted_and_blocks_no_new_run(world, auth, client):
    stale = claimed_long_ago(minutes=16)
    auth.login(world.dispatcher)

    page = client.get("/runs").get_data(as_text=True)
    queue = client.get("/queue").get_data(as_text=True)

    assert "Interrupted" in page and "no sign of work for 15 minutes" in page
    assert REFRESH not in page and "data-run-running" not in page
    assert "data-intake-failed" in queue and "data-intake-running" not in queue
    r = client.post("/runs/poll", follow_redirects=True)
    join_runs()
    assert "Fetching new orders" in r.get_data(as_text=True)
    old, new = all_runs()
    assert (old.id, old.status) == (stale.id, "failed") and old.error.startswith("interrupted: no sign of work")
    assert (new.trigger, new.status) == ("manual", "ok")


def test_the_run_limit_is_a_setting(world, app):
    app.config["INTAKE_RUN_LIMIT_MINUTES"] = 60
    stale = claimed_long_ago(minutes=16)

    assert intake.running_run() == stale
    assert intake.intake_run("manual") is None


def test_the_queue_tells_a_run_is_running_but_does_not_reload_itself(platform, dispatcher, client):
    client.post("/runs/poll")
    assert platform.reached.wait(10)

    queue = client.get("/queue").get_data(as_text=True)

    assert "data-intake-running" in queue and REFRESH not in queue


def test_a_scheduled_run_waits_for_the_manual_one_then_runs_after_it(platform, dispatcher, client, app, monkeypatch):
    waiting = threading.Event()

    def pause(seconds):
        waiting.set()
        platform.answer.wait(seconds)

    monkeypatch.setattr(intake, "pause", pause)
    client.post("/runs/poll")
    assert platform.reached.wait(10)
    slot = threading.Thread(target=jobs.scheduled_intake, args=(app, "08:30"), name="intake-run-slot")
    slot.start()
    assert waiting.wait(10)
    assert len(all_runs()) == 1  # the slot has not started while the manual run goes on

    platform.answer.set()
    join_runs()

    manual, scheduled = all_runs()
    assert (manual.trigger, manual.status, manual.new) == ("manual", "ok", 4)
    assert (scheduled.trigger, scheduled.status, scheduled.new) == ("schedule", "ok", 0)
    assert scheduled.started_at >= manual.finished_at
    assert ticket_gets(platform) == 3  # the manual run's page and "no more"; the slot's "no more"


def test_only_a_dispatcher_may_fetch_and_never_by_get(world, auth, client):
    auth.login(world.leader)
    assert "/runs/poll" not in client.get("/queue").get_data(as_text=True)
    assert client.post("/runs/poll").status_code == 403
    auth.logout()
    auth.login(world.dispatcher)
    assert "/runs/poll" in client.get("/queue").get_data(as_text=True)
    assert client.get("/runs/poll").status_code == 405
    assert db.session.scalar(select(func.count()).select_from(IntakeRun)) == 0
