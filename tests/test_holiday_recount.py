"""Open cases follow the calendar: entering or changing a year's schedule recounts the deadlines that reach it."""

from datetime import UTC

from sqlalchemy import select

from casework import workflow as wf
from casework.extensions import db
from casework.models import Case, CaseEvent
from casework.models.calendar import RECOUNT
from casework.stats.figures import due_as_of
from tests.helpers import SCHEDULE_2027, end_of, enter_2027, local, order


def recounts(case: Case) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == RECOUNT)))


def test_an_open_order_into_2027_is_recounted_with_a_system_event_keeping_the_previous_time(world):
    case = order(world, "GD-1", local(2026, 12, 30, 10, 0))
    assert case.due_at == end_of(2027, 1, 6)  # weekends only: Dec 31, Jan 1, 4, 5, 6
    entered = enter_2027(world, at=local(2026, 12, 31, 9, 0))
    assert entered.recounted == 1
    assert case.due_at == end_of(2027, 1, 7)  # 元旦 Jan 1-3 off
    (event,) = recounts(case)
    assert event.actor is None and event.data["year"] == 2027
    assert event.data["previous_due_at"] == end_of(2027, 1, 6).isoformat()
    assert event.data["due_at"] == end_of(2027, 1, 7).isoformat()


def test_an_order_awaiting_acknowledgement_gets_its_acknowledgement_deadline_recounted(world):
    case = order(world, "GD-1", local(2026, 12, 31, 10, 0))
    assert case.ack_due_at == end_of(2027, 1, 1)  # one working day, Friday Jan 1 by weekends
    enter_2027(world, at=local(2026, 12, 31, 11, 0))
    assert case.ack_due_at == end_of(2027, 1, 4)
    assert recounts(case)[0].data["previous_ack_due_at"] == end_of(2027, 1, 1).isoformat()


def test_an_acknowledged_order_keeps_the_acknowledgement_deadline_it_was_judged_by(world):
    case = order(world, "GD-1", local(2026, 12, 31, 10, 0))
    wf.assign(case, world.dispatcher, assignee=world.cadre1, at=local(2026, 12, 31, 11, 0))
    enter_2027(world, at=local(2026, 12, 31, 12, 0))
    assert case.ack_due_at == end_of(2027, 1, 1)
    assert case.due_at == end_of(2027, 1, 8)  # Jan 4 … 8: the due time still follows


def test_granted_extensions_are_counted_again_on_the_new_calendar(world):
    case = order(world, "GD-1", local(2026, 12, 30, 10, 0))
    wf.assign(case, world.dispatcher, assignee=world.cadre1, at=local(2026, 12, 30, 11, 0))
    at = local(2026, 12, 31, 9, 0)
    wf.request_extension(case, world.cadre1, reason="等配件", working_days=3, at=at)
    wf.grant_extension(case, world.dispatcher, at=at)
    db.session.commit()
    assert case.due_at == end_of(2027, 1, 11)  # Jan 6 + 3 by weekends: 7, 8, 11
    enter_2027(world, at=local(2026, 12, 31, 10, 0))
    assert case.due_at == end_of(2027, 1, 12)  # Jan 7 + 3: 8, 11, 12


def test_a_deadline_already_past_is_left_as_it_was(world):
    case = order(world, "GD-1", local(2027, 1, 4, 10, 0))  # due Jan 11 by weekends
    enter_2027(world, at=local(2027, 1, 12, 9, 0), data={**SCHEDULE_2027, "workdays": ["2027-01-09"]})
    assert case.due_at == end_of(2027, 1, 11) and recounts(case) == []


def test_a_platform_deadline_and_a_resolved_case_are_left_as_they_are(world):
    given = local(2027, 1, 20, 18, 0).astimezone(UTC)
    platform = order(world, "GD-1", local(2026, 12, 30, 10, 0), deadline=given)
    resolved = order(world, "GD-2", local(2026, 12, 30, 10, 0))
    wf.assign(resolved, world.dispatcher, assignee=world.cadre1, at=local(2026, 12, 30, 11, 0))
    wf.resolve(resolved, world.cadre1, result="已修", at=local(2026, 12, 30, 15, 0))
    db.session.commit()
    assert enter_2027(world, at=local(2026, 12, 31, 9, 0)).recounted == 0
    assert platform.due_at == given and resolved.due_at == end_of(2027, 1, 6)


def test_a_correction_recounts_again_from_the_start(world):
    case = order(world, "GD-1", local(2027, 2, 4, 10, 0))
    enter_2027(world, at=local(2027, 1, 10, 9, 0))
    assert case.due_at == end_of(2027, 2, 18)
    enter_2027(world, at=local(2027, 1, 11, 9, 0), data={**SCHEDULE_2027, "workdays": ["2027-02-20"]})
    assert case.due_at == end_of(2027, 2, 19)
    assert [e.data["previous_due_at"] for e in recounts(case)] == [
        end_of(2027, 2, 11).isoformat(),
        end_of(2027, 2, 18).isoformat(),
    ]


def test_statistics_read_the_due_time_as_it_stood_before_a_recount(world):
    case = order(world, "GD-1", local(2026, 12, 30, 10, 0))
    enter_2027(world, at=local(2026, 12, 31, 9, 0))
    before, after = local(2026, 12, 31, 8, 0), local(2026, 12, 31, 10, 0)
    as_of = lambda moment: db.session.scalar(select(due_as_of(moment)).where(Case.id == case.id))  # noqa: E731
    assert (as_of(before), as_of(after)) == (end_of(2027, 1, 6), end_of(2027, 1, 7))


def test_the_history_shows_the_recount_with_both_times(world, auth, client):
    case = order(world, "GD-1", local(2026, 12, 30, 10, 0))
    enter_2027(world, at=local(2026, 12, 31, 9, 0))
    auth.login(world.dispatcher)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Deadline recounted after the holiday calendar changed" in page
    assert "due 2027-01-06 23:59 → 2027-01-07 23:59" in page
