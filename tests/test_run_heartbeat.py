"""A run's heartbeat: a long run that is alive is never taken over; one that has gone quiet is.

The live run is a real one, carried out against the fake platform over real HTTP; the platform tries to
take it over from another session while the run waits for its answer, after the run's first file.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.demo.fake_platform import FakePlatform, serving
from casework.extensions import db
from casework.intake import run as intake
from casework.models import IntakeRun, utcnow
from tests.helpers import HEADER, rows, write_csv

TOKEN = "beat-token"


def running_for(minutes: float, heartbeat_minutes_ago: float | None) -> IntakeRun:
    """A run claimed `minutes` ago whose last sign of work was `heartbeat_minutes_ago` (None: none yet)."""
    run = intake.claim_slot(intake.manual_slot_key(), "manual")
    now = utcnow()
    run.started_at = now - timedelta(minutes=minutes)
    run.heartbeat_at = None if heartbeat_minutes_ago is None else now - timedelta(minutes=heartbeat_minutes_ago)
    db.session.commit()
    return run


def test_a_run_past_the_limit_with_a_fresh_heartbeat_is_not_taken_over(app):
    alive = running_for(minutes=40, heartbeat_minutes_ago=1)

    assert intake.claim_slot(intake.manual_slot_key(), "manual") is None
    assert intake.running_run().id == alive.id
    assert not intake.is_interrupted(alive) and intake.run_error(alive) is None
    assert intake.failed_run_alert() is None
    db.session.refresh(alive)
    assert alive.status == "running"


def test_a_run_whose_heartbeat_is_stale_is_taken_over(app):
    quiet = running_for(minutes=40, heartbeat_minutes_ago=16)
    assert intake.is_interrupted(quiet) and intake.running_run() is None
    assert intake.failed_run_alert().id == quiet.id

    successor = intake.claim_slot(intake.manual_slot_key(), "manual")

    assert successor is not None
    db.session.refresh(quiet)
    assert quiet.status == "failed" and quiet.error == intake.interrupted_error()
    assert "no sign of work for 15 minutes" in quiet.error


def test_a_run_with_no_heartbeat_yet_is_judged_by_its_start(app):
    young = running_for(minutes=5, heartbeat_minutes_ago=None)
    assert intake.claim_slot(intake.manual_slot_key(), "manual") is None
    young.started_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert intake.claim_slot(intake.manual_slot_key(), "manual") is not None


def test_the_runs_page_shows_a_long_live_run_as_running(world, auth, client):
    running_for(minutes=40, heartbeat_minutes_ago=1)
    auth.login(world.dispatcher)

    page = client.get("/runs").get_data(as_text=True)

    assert "data-run-running" in page and "Interrupted" not in page


class TakeoverPlatform(FakePlatform):
    """The platform; at the first GET /tickets, another process tries to claim a run (as a scheduler would)."""

    def __init__(self, app, *args, **kw):
        super().__init__(*args, **kw)
        self.casework = app
        self.takeover: list = []

    def _tickets(self):
        if not self.takeover:
            with self.casework.app_context():
                try:
                    claimed = intake.claim_slot(intake.manual_slot_key(), "manual")
                    self.takeover.append(claimed.id if claimed else None)
                except Exception as exc:  # noqa: BLE001 - recorded for the test to show
                    self.takeover.append(repr(exc))
                finally:
                    db.session.remove()
        return super()._tickets()


@pytest.fixture
def platform(app):
    fake = TakeoverPlatform(app, token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_TIMEOUT=30)
        yield fake


def test_a_run_that_works_past_the_limit_keeps_its_claim(app, platform):
    write_csv(Path(app.config["INBOX_DIR"]) / "a.csv", HEADER, rows(2))
    long_run = running_for(minutes=40, heartbeat_minutes_ago=None)  # slow so far, but it is about to work

    intake.carry_out(long_run)

    assert platform.takeover == [None]
    assert (long_run.status, long_run.new, long_run.error) == ("ok", 2, None)
    assert long_run.heartbeat_at > utcnow() - timedelta(minutes=1)
    assert db.session.scalars(select(IntakeRun.id)).all() == [long_run.id]
