"""notify() in a batch: inside remembering_audiences the dispatchers and each recipient's channels and browsers are
read once, so a reminder run's queries do not grow with its cases; the notices and deliveries are the same as
without it, and outside it every notify reads afresh."""

from contextlib import contextmanager
from datetime import UTC

import pytest
from sqlalchemy import event, select

from casework import notices, reminders
from casework.extensions import db
from casework.models import ChannelChoice, Delivery, Notification, PushSubscription
from tests.helpers import end_of, local

AUDIENCE_TABLES = ("channel_choices", "push_subscriptions", "users")


@pytest.fixture
def channels(app):
    """Web Push and the WeChat Work robot set up (nothing is sent: the deliveries wait in the outbox)."""
    app.config.update(WEBPUSH_ENABLED=True, WECOM_WEBHOOK_URL="http://127.0.0.1:9/robot", REMINDERS_TO_DISPATCHERS=True)


def at(*args):
    return local(*args).astimezone(UTC)


def browser(user, n: int) -> PushSubscription:
    sub = PushSubscription(user_id=user.id, endpoint=f"https://push.example.com/{user.id}/{n}", p256dh="k", auth="a")
    db.session.add(sub)
    db.session.commit()
    return sub


@contextmanager
def audience_reads():
    """The SELECTs sent meanwhile that read who is told and how (users, channel choices, subscriptions)."""
    seen: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().upper()
        if head.startswith("SELECT") and any(t in statement.split("WHERE")[0] for t in AUDIENCE_TABLES):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def among(reads: list[str], part: str) -> int:
    return sum(part in statement for statement in reads)


def due_today(make, world, n: int) -> None:
    fields = dict(state="assigned", assignee=world.cadre1, acknowledged_at=at(2026, 12, 1, 9, 0))
    for _ in range(n):
        make.order(village=world.v1, received_at=at(2026, 12, 1, 8, 0), due_at=end_of(2026, 12, 8), **fields)


def deliveries() -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        select(Notification.recipient_id, Delivery.channel, Delivery.target).join(Delivery.notification)
    )
    return sorted((str(r), c, t) for r, c, t in rows)


@pytest.mark.parametrize("cases", [4, 40])
def test_a_batch_of_reminders_reads_each_audience_once_however_many_cases(world, make, channels, cases):
    make.user("dispatcher", name="第二调度")
    browser(world.cadre1, 1)
    due_today(make, world, cases)

    with audience_reads() as reads:
        counts = reminders.send_reminders(at(2026, 12, 8, 9, 0), batch=50)

    assert (counts["due_warning"], counts["notices"]) == (cases, 3 * cases)
    # the dispatchers once; each recipient's (the cadre's, the two dispatchers') choices and browsers once
    assert [among(reads, "users.role = "), among(reads, "channel_choices"), among(reads, "push_subscriptions")] == [
        1,
        3,
        3,
    ]


def test_remembered_audiences_give_the_same_deliveries_as_fresh_ones(world, make, channels):
    browser(world.cadre1, 1), browser(world.cadre1, 2), browser(world.dispatcher, 1)
    db.session.add(ChannelChoice(user_id=world.dispatcher.id, channel="wecom", enabled=False))
    world.cadre1.phone = "13900000001"
    db.session.commit()

    def tell_all():
        notices.notify(world.cadre1, "urged", actor=world.leader)
        notices.notify_dispatchers("intake_failed", time="08:00")
        notices.notify(world.cadre1, "urged", actor=world.leader)

    tell_all()
    fresh = deliveries()
    db.session.rollback()
    with notices.remembering_audiences():
        tell_all()
    assert deliveries() == fresh
    assert (str(world.cadre1.id), "wecom", "13900000001") in fresh
    assert len([d for d in fresh if d[0] == str(world.dispatcher.id)]) == 1  # one browser, the robot turned off


def test_outside_a_batch_each_notice_reads_the_channels_afresh(world, make, channels):
    notices.notify(world.cadre1, "urged", actor=world.leader)
    browser(world.cadre1, 1)
    notices.notify(world.cadre1, "urged", actor=world.leader)

    assert [c for _, c, _ in deliveries()] == ["webpush", "wecom", "wecom"]


def test_a_batch_forgets_when_it_ends_and_a_nested_one_shares_its_memory(world, make, channels):
    with notices.remembering_audiences():
        notices.notify(world.cadre1, "urged", actor=world.leader)
        with notices.remembering_audiences(), audience_reads() as reads:
            notices.notify(world.cadre1, "urged", actor=world.leader)
        assert reads == []
        browser(world.cadre1, 1)
        notices.notify(world.cadre1, "urged", actor=world.leader)  # still the batch's memory: no browser
    notices.notify(world.cadre1, "urged", actor=world.leader)

    assert [c for _, c, _ in deliveries()].count("webpush") == 1
