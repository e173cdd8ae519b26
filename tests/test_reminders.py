"""Reminders (黄牌 / 红牌) with the clock set by the test: who is warned, when, and only once per deadline."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from casework import reminders, workflow
from casework.extensions import db
from casework.models import Notification, ReminderSent
from tests.helpers import end_of, local


def at(*args):
    return local(*args).astimezone(UTC)


def held(make, world, due, **kw):
    """An order of village v1 held by cadre1 since December 1, due at `due`."""
    fields = dict(state="assigned", assignee=world.cadre1, acknowledged_at=at(2026, 12, 1, 9, 0), due_at=due)
    return make.order(village=world.v1, received_at=at(2026, 12, 1, 8, 0), **(fields | kw))


def awaiting(make, world, ack_due, **kw):
    """An order received and given to nobody yet, to be acknowledged by `ack_due`."""
    due = ack_due + timedelta(days=5)
    return make.order(village=world.v1, received_at=ack_due - timedelta(hours=2), ack_due_at=ack_due, due_at=due, **kw)


def told(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def kinds(user) -> list[str]:
    return [n.kind for n in told(user)]


# --- the due time ---------------------------------------------------------------------------------------


def test_a_case_due_in_three_working_days_gets_nothing(world, make):
    held(make, world, end_of(2026, 12, 9))  # Wednesday; now is the Friday before

    counts = reminders.send_reminders(at(2026, 12, 4, 12, 0))

    assert counts["due_warning"] == counts["notices"] == 0
    assert told(world.cadre1) == []


def test_within_the_lead_the_cadre_is_warned_once_then_once_more_when_it_has_passed(world, make):
    case = held(make, world, end_of(2026, 12, 8))

    assert reminders.send_reminders(at(2026, 12, 7, 8, 0))["due_warning"] == 0  # two working days: not yet
    first = reminders.send_reminders(at(2026, 12, 8, 8, 0))
    again = reminders.send_reminders(at(2026, 12, 8, 8, 15))
    assert (first["due_warning"], first["notices"], again["due_warning"], again["notices"]) == (1, 1, 0, 0)

    (warning,) = told(world.cadre1)
    assert (warning.kind, warning.case_id, warning.data["deadline"]) == ("due_warning", case.id, "2026-12-08 23:59")
    assert warning.created_at == at(2026, 12, 8, 8, 0)  # the run's moment, not the wall clock

    late = reminders.send_reminders(at(2026, 12, 9, 0, 0))
    assert (late["due_overdue"], reminders.send_reminders(at(2026, 12, 9, 9, 0))["due_overdue"]) == (1, 0)
    assert kinds(world.cadre1) == ["due_warning", "due_overdue"]
    assert told(world.dispatcher) == []  # REMINDERS_TO_DISPATCHERS is off


def test_a_case_first_seen_past_its_deadline_gets_only_the_overdue_reminder(world, make):
    held(make, world, end_of(2026, 12, 2))

    counts = reminders.send_reminders(at(2026, 12, 3, 10, 0))  # ten hours after it

    assert (counts["due_warning"], counts["due_overdue"]) == (0, 1)
    assert kinds(world.cadre1) == ["due_overdue"]


def test_working_days_count_across_a_weekend(world, make):
    held(make, world, end_of(2026, 12, 7))  # Monday: yellow from the end of Friday, the working day before

    assert reminders.send_reminders(at(2026, 12, 4, 23, 0))["due_warning"] == 0
    assert reminders.send_reminders(at(2026, 12, 5, 9, 0))["due_warning"] == 1  # a Saturday


def test_working_days_count_across_national_day(world, make):
    held(make, world, end_of(2026, 10, 8), acknowledged_at=at(2026, 9, 28, 9, 0))  # the first day back

    assert reminders.send_reminders(at(2026, 9, 30, 12, 0))["due_warning"] == 0  # eight calendar days, one working
    assert reminders.send_reminders(at(2026, 10, 1, 9, 0))["due_warning"] == 1
    assert kinds(world.cadre1) == ["due_warning"]


def test_an_extension_granted_re_arms_the_warning(world, make):
    case = held(make, world, end_of(2026, 12, 8))
    reminders.send_reminders(at(2026, 12, 8, 9, 0))
    workflow.request_extension(case, world.cadre1, reason="材料未到", working_days=2, at=at(2026, 12, 8, 10, 0))
    workflow.grant_extension(case, world.dispatcher, at=at(2026, 12, 8, 11, 0))
    db.session.commit()
    assert case.due_at == end_of(2026, 12, 10)

    assert reminders.send_reminders(at(2026, 12, 9, 9, 0))["due_warning"] == 0  # due in two working days now
    assert reminders.send_reminders(at(2026, 12, 10, 9, 0))["due_warning"] == 1
    warnings = told(world.cadre1, "due_warning")
    assert [n.data["deadline"] for n in warnings] == ["2026-12-08 23:59", "2026-12-10 23:59"]
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2


def test_resolved_cases_get_nothing(world, make):
    held(make, world, end_of(2026, 12, 2), state="resolved", resolved_at=at(2026, 12, 2, 9, 0), result="已修复")

    counts = reminders.send_reminders(at(2026, 12, 7, 10, 0))

    assert sum(counts.values()) == 0 and told(world.cadre1) == []


def test_dispatchers_are_told_too_when_the_setting_says_so(world, make, app):
    app.config["REMINDERS_TO_DISPATCHERS"] = True
    second = make.user("dispatcher", name="第二调度")
    held(make, world, end_of(2026, 12, 8))

    counts = reminders.send_reminders(at(2026, 12, 8, 8, 0))

    assert (counts["due_warning"], counts["notices"]) == (1, 3)
    assert kinds(world.cadre1) == kinds(world.dispatcher) == kinds(second) == ["due_warning"]


def test_the_due_time_of_a_case_nobody_holds_goes_to_the_dispatchers(world, make):
    make.order(village=world.v1, received_at=at(2026, 12, 1, 8, 0), due_at=end_of(2026, 12, 8))

    reminders.send_reminders(at(2026, 12, 8, 8, 0))

    assert kinds(world.dispatcher) == ["due_warning"]


# --- the acknowledgement deadline -----------------------------------------------------------------------


def test_an_order_awaiting_acknowledgement_warns_the_dispatchers_half_an_hour_before_and_when_passed(world, make):
    order = awaiting(make, world, at(2026, 12, 7, 11, 0))

    assert reminders.send_reminders(at(2026, 12, 7, 10, 29))["ack_warning"] == 0
    assert reminders.send_reminders(at(2026, 12, 7, 10, 31))["ack_warning"] == 1
    assert reminders.send_reminders(at(2026, 12, 7, 10, 45))["ack_warning"] == 0
    assert reminders.send_reminders(at(2026, 12, 7, 11, 1))["ack_overdue"] == 1

    notices = told(world.dispatcher)
    assert [(n.kind, n.case_id, n.data["deadline"]) for n in notices] == [
        ("ack_warning", order.id, "2026-12-07 11:00"),
        ("ack_overdue", order.id, "2026-12-07 11:00"),
    ]
    assert told(world.cadre1) == []


def test_an_order_acknowledged_in_time_is_not_reminded_of_it(world, make):
    order = awaiting(make, world, at(2026, 12, 7, 11, 0))
    reminders.send_reminders(at(2026, 12, 7, 10, 40))
    workflow.assign(order, world.dispatcher, assignee=world.cadre1, at=at(2026, 12, 7, 10, 50))
    db.session.commit()

    assert reminders.send_reminders(at(2026, 12, 7, 11, 30))["ack_overdue"] == 0
    assert [n.kind for n in told(world.dispatcher) if n.kind.startswith("ack")] == ["ack_warning"]


def test_many_cases_go_out_batch_by_batch_each_once(world, make):
    for day in (7, 8):
        for _ in range(3):
            held(make, world, end_of(2026, 12, day))
    for minute in range(5):
        awaiting(make, world, at(2026, 12, 8, 9, minute))

    counts = reminders.send_reminders(at(2026, 12, 8, 8, 50), batch=2)

    assert (counts["due_overdue"], counts["due_warning"], counts["ack_warning"]) == (3, 3, 5)
    assert len(told(world.cadre1)) == 6 and len(told(world.dispatcher)) == 5
    assert sum(reminders.send_reminders(at(2026, 12, 8, 8, 55), batch=2).values()) == 0


def test_the_bound_of_the_lead_is_the_day_after_the_last_working_day_of_it(app):
    assert reminders.due_soon_bound(at(2026, 9, 30, 12, 0)) == at(2026, 10, 9, 0, 0)
    assert reminders.due_soon_bound(at(2026, 12, 4, 12, 0)) == at(2026, 12, 8, 0, 0)


@pytest.mark.parametrize(("minutes", "slot"), [(15, (16, 15)), (10, (16, 20)), (60, (16, 0))])
def test_a_slot_is_the_start_of_its_period_in_local_time(app, minutes, slot):
    assert reminders.slot_of(at(2026, 12, 5, 16, 29), minutes) == local(2026, 12, 5, *slot)


# --- the lookback: a red card is news only for a deadline that passed lately --------------------------------


def test_a_case_overdue_three_days_when_first_seen_gets_nothing(world, make):
    held(make, world, end_of(2026, 12, 2))
    awaiting(make, world, at(2026, 11, 28, 11, 0))  # due on December 3, passed too

    counts = reminders.send_reminders(at(2026, 12, 5, 23, 0))

    assert sum(counts.values()) == 0
    assert told(world.cadre1) == told(world.dispatcher) == []
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_a_deadline_passed_two_hours_ago_gets_its_red_card(world, make):
    case = held(make, world, end_of(2026, 12, 2))
    order = awaiting(make, world, at(2026, 12, 3, 0, 30))

    counts = reminders.send_reminders(end_of(2026, 12, 2) + timedelta(hours=2))

    assert (counts["due_overdue"], counts["ack_overdue"]) == (1, 1)
    assert [(n.kind, n.case_id) for n in told(world.cadre1)] == [("due_overdue", case.id)]
    assert [(n.kind, n.case_id) for n in told(world.dispatcher)] == [("ack_overdue", order.id)]


def test_a_scheduler_down_for_hours_still_sends_what_it_missed(world, make):
    case = held(make, world, end_of(2026, 12, 8))
    reminders.send_reminders(at(2026, 12, 8, 8, 0))  # its yellow card; then down until the next morning
    order = awaiting(make, world, at(2026, 12, 8, 20, 0))  # came in while it was down: its lead missed too

    counts = reminders.send_reminders(at(2026, 12, 9, 11, 0))

    assert (counts["due_overdue"], counts["ack_overdue"], counts["ack_warning"]) == (1, 1, 0)
    assert [(n.kind, n.case_id) for n in told(world.cadre1)] == [("due_warning", case.id), ("due_overdue", case.id)]
    assert [(n.kind, n.case_id) for n in told(world.dispatcher)] == [("ack_overdue", order.id)]


@pytest.mark.parametrize(("hours_late", "sent"), [(23.9, 1), (24.1, 0)])
def test_the_lookback_is_a_day_by_default(world, make, hours_late, sent):
    held(make, world, end_of(2026, 12, 2))

    assert reminders.send_reminders(end_of(2026, 12, 2) + timedelta(hours=hours_late))["due_overdue"] == sent


def test_the_lookback_is_a_setting_and_leaves_the_warnings_alone(world, make, app):
    app.config["REMINDER_LOOKBACK_HOURS"] = 2
    held(make, world, end_of(2026, 12, 8))  # three hours late at the run
    soon = held(make, world, end_of(2026, 12, 9))
    awaiting(make, world, at(2026, 12, 9, 3, 10))  # its lead of half an hour has begun, its deadline not passed

    counts = reminders.send_reminders(end_of(2026, 12, 8) + timedelta(hours=3))

    assert (counts["due_overdue"], counts["due_warning"], counts["ack_warning"]) == (0, 1, 1)
    assert [(n.kind, n.case_id) for n in told(world.cadre1)] == [("due_warning", soon.id)]
