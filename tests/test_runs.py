"""Runs you can see: the runs page, the failed-run banner on the queue (the button: test_fetch_now.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake.run import claim_slot, intake_run, manual_slot_key, running_run
from casework.models import IntakeRun, utcnow

TOKEN = "runs-token"
BANNER = "data-intake-failed"


@pytest.fixture
def platform(app):
    fake = FakePlatform(generate_tickets(4, villages=("东风村",)), token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_TIMEOUT=5)
        yield fake


def past_run(hours_ago: int, status: str = "ok", **kw) -> IntakeRun:
    started = datetime(2026, 11, 30, 4, 0, tzinfo=UTC) - timedelta(hours=hours_ago)
    run = IntakeRun(
        slot_key=kw.pop("slot_key", f"slot-{hours_ago}"),
        trigger=kw.pop("trigger", "schedule"),
        source="inbox",
        status=status,
        started_at=started,
        finished_at=kw.pop("finished_at", started + timedelta(seconds=3)),
        **kw,
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_the_runs_page_lists_every_run_newest_first_with_its_counts(world, auth, client):
    past_run(30, slot_key="2026-11-29T08:30+08:00", fetched=12, new=9, duplicates=2, rejected=1, replies_sent=4)
    past_run(6, "failed", slot_key="2026-11-30T08:30+08:00", error="feed: GET /tickets: HTTP 502")
    auth.login(world.dispatcher)

    page = client.get("/runs").get_data(as_text=True)

    assert page.index("2026-11-30 08:30") < page.index("2026-11-29 08:30")
    assert "HTTP 502" in page
    assert "<td>12</td><td>9</td><td>2</td>" in page
    assert "Inbox folder" in page
    assert "Next scheduled runs" in page


def test_the_runs_page_shows_the_next_scheduled_times(world, auth, client, app):
    app.config["POLL_TIMES"] = "06:15"
    auth.login(world.leader)

    page = client.get("/runs").get_data(as_text=True)

    assert page.count(" 06:15</span>") == 4


def test_the_runs_page_pages(world, auth, client, app):
    app.config["PAGE_SIZE"] = 2
    for hours in (1, 2, 3):
        past_run(hours, slot_key=f"2026-11-2{hours}T08:30+08:00")
    auth.login(world.dispatcher)

    first = client.get("/runs").get_data(as_text=True)
    second = client.get("/runs?page=2").get_data(as_text=True)

    assert "2026-11-21 08:30" in first and "2026-11-23 08:30" not in first
    assert "page=2" in first
    assert "2026-11-23 08:30" in second and "2026-11-21 08:30" not in second
    assert client.get("/runs?page=abc").status_code == 200


def test_a_cadre_may_not_see_the_runs(world, auth, client):
    auth.login(world.cadre1)
    assert client.get("/runs").status_code == 403
    assert client.get("/replies").status_code == 403


def test_a_failed_run_shows_on_the_queue_until_a_later_run_succeeds(platform, world, auth, client):
    auth.login(world.dispatcher)
    assert BANNER not in client.get("/queue").get_data(as_text=True)

    platform.fail_status = 502
    intake_run("manual")
    page = client.get("/queue").get_data(as_text=True)
    assert BANNER in page and "HTTP 502" in page

    intake_run("manual")  # still failing
    assert BANNER in client.get("/queue").get_data(as_text=True)

    platform.heal()
    intake_run("manual")
    assert BANNER not in client.get("/queue").get_data(as_text=True)


def test_a_run_still_running_neither_raises_nor_clears_the_banner(world, auth, client):
    past_run(5, "failed", error="inbox: boom")
    past_run(1, "running", finished_at=None)
    auth.login(world.leader)

    assert BANNER in client.get("/queue").get_data(as_text=True)


def claimed(minutes_ago: int) -> IntakeRun:
    """A run claimed that long ago, as its process left it (still running, its claim held)."""
    run = claim_slot(manual_slot_key(), "manual")
    run.started_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return run


def test_a_run_a_dead_process_left_running_is_closed_as_failed_by_the_next_run(world, app):
    dead = claimed(minutes_ago=20)

    run = intake_run("manual")

    db.session.expire_all()
    assert run.status == "ok"
    assert (dead.status, dead.error) == (
        "failed",
        "interrupted: no sign of work for 15 minutes, so the process running it has stopped",
    )


def test_a_run_in_progress_keeps_a_manual_run_from_starting(world, app):
    current = claimed(minutes_ago=1)  # another process's run, still going

    assert intake_run("manual") is None

    db.session.expire_all()
    assert current.status == "running"
    assert running_run() == current
    assert len(db.session.scalars(select(IntakeRun)).all()) == 1
