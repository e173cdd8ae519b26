"""What the intake tells the dispatchers (issue 11): a reply the platform keeps refusing, once, at its
FAILING_AFTER-th failed attempt; an intake run that failed, once per run, with its local time and error.
Over real HTTP to the fake platform."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from casework.clock import localtime
from casework.extensions import db
from casework.intake import outbox
from casework.intake import run as intake
from casework.intake.run import intake_run
from casework.models import Notification, Reply
from tests.helpers import resolved_order


@pytest.fixture
def dispatchers(world, make):
    """Two active dispatchers and one who left: only the active ones are told."""
    make.user("dispatcher", username="gone", active=False)
    return {world.dispatcher.username, make.user("dispatcher", username="dispatcher2").username}


def told(kind: str) -> list[tuple[str, int | None]]:
    """(username, case id) of each notice of this kind, in the order written."""
    rows = db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
    return [(n.recipient.username, n.case_id) for n in rows]


# --- a reply that keeps failing ----------------------------------------------------------------------------


def test_a_reply_refused_again_and_again_is_told_to_every_dispatcher_once(platform, make, world, dispatchers):
    order = resolved_order(make, world)
    platform.fail_status = 503
    for attempt in range(1, outbox.FAILING_AFTER + 3):
        outbox.send_pending()
        expected = [] if attempt < outbox.FAILING_AFTER else sorted((name, order.id) for name in dispatchers)
        assert sorted(told("reply_failing")) == expected, f"after attempt {attempt}"
    notice = db.session.scalars(select(Notification).where(Notification.kind == "reply_failing")).first()
    assert "HTTP 503" in notice.text and notice.data["number"] == order.number


def test_a_reply_delivered_before_the_limit_tells_nobody(platform, make, world, dispatchers):
    resolved_order(make, world)
    platform.fail_status = 503
    for _ in range(outbox.FAILING_AFTER - 1):
        outbox.send_pending()
    platform.heal()
    assert outbox.send_pending().sent == 1
    assert told("reply_failing") == []


def test_each_failing_reply_is_told_on_its_own(platform, make, world, dispatchers):
    first, second = resolved_order(make, world), resolved_order(make, world)
    first_reply, second_reply = db.session.scalars(select(Reply).order_by(Reply.id))
    first_reply.payload = second_reply.payload = {"handler": "李明"}  # no result: the platform says 422 to each
    db.session.commit()
    for _ in range(outbox.FAILING_AFTER):
        outbox.send_pending()
    assert sorted(case for _, case in told("reply_failing")) == sorted([first.id, second.id] * len(dispatchers))


# --- an intake run that failed ----------------------------------------------------------------------------


def test_a_failed_run_tells_every_dispatcher_once_with_its_local_time(platform, world, dispatchers):
    platform.fail_status = 500
    run = intake_run("manual")
    assert run.status == "failed"
    assert sorted(name for name, _ in told("intake_failed")) == sorted(dispatchers)
    notice = db.session.scalars(select(Notification).where(Notification.kind == "intake_failed")).first()
    assert notice.data == {"time": localtime(run.started_at)} and notice.text == run.error


def test_a_run_that_went_well_tells_nobody(platform, world, dispatchers):
    assert intake_run("manual").status == "ok"
    assert told("intake_failed") == []


def test_a_run_whose_thread_broke_tells_the_dispatchers_once(app, platform, world, dispatchers, monkeypatch):
    def broken(run, errors):
        raise RuntimeError("database gone")

    monkeypatch.setattr(intake, "_finish", broken)
    run = intake.claim_slot(intake.manual_slot_key(), "manual")
    intake._carry_out_by_id(app, run.id)
    db.session.rollback()
    assert sorted(name for name, _ in told("intake_failed")) == sorted(dispatchers)
    intake._give_up(run.id, "interrupted again")  # already failed: nobody is told twice
    assert len(told("intake_failed")) == len(dispatchers)


def test_the_time_of_a_failed_run_is_the_townships(platform, world, dispatchers):
    platform.fail_status = 500
    run = intake_run("manual")
    run.started_at = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 07:30 the next day in Asia/Shanghai
    intake._tell_failed(run)
    assert db.session.scalars(select(Notification).order_by(Notification.id.desc())).first().data == {
        "time": "2026-12-01 07:30"
    }
