"""The recount reads only the open cases a changed day can move, and asks for extensions only of a case that
has some: an administrator's POST holds SQLite's write lock while it runs."""

from sqlalchemy import event

from casework import deadlines
from casework.extensions import db
from casework.models import Case
from tests.helpers import SCHEDULE_2027, SHANGHAI, end_of, enter_2027, local, order

ARBOR_DAY = {
    **SCHEDULE_2027,
    "holidays": [*SCHEDULE_2027["holidays"], {"name": "植树节", "from": "2027-03-04", "to": "2027-03-04"}],
}


def test_a_correction_reads_only_the_cases_its_changed_days_can_move(world):
    enter_2027(world, at=local(2027, 2, 26, 9, 0))
    near = order(world, "GD-1", local(2027, 3, 1, 10, 0))  # due Mon 03-08, across Thursday 03-04
    far = order(world, "GD-2", local(2027, 3, 1, 10, 5), deadline=local(2027, 3, 2, 17, 0))  # due before it
    later = order(world, "GD-3", local(2027, 3, 5, 10, 0))  # received after it
    assert near.due_at == end_of(2027, 3, 8)
    near_id, others = near.id, {far.number, later.number}
    for case in (near, far, later):
        db.session.expunge(case)
    loaded, statements = [], []

    def load(case, _):
        loaded.append(case.number)

    event.listen(Case, "load", load)
    listen = lambda conn, cursor, stmt, params, context, executemany: statements.append(stmt)  # noqa: ARG005
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        entered = enter_2027(world, at=local(2027, 3, 1, 12, 0), data=ARBOR_DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
        event.remove(Case, "load", load)
    assert entered.recounted == 1
    assert db.session.get(Case, near_id).due_at == end_of(2027, 3, 9)
    assert others.isdisjoint(loaded)
    assert not [s for s in statements if "extension_requests" in s]  # none of them has an extension


def test_deadlines_and_extensions_are_counted_by_the_calendar_given(app):
    days = deadlines.schedule_days(SCHEDULE_2027["holidays"], SCHEDULE_2027["workdays"])
    entered = deadlines.WorkCalendar(SHANGHAI, entered=deadlines.EnteredDays(frozenset({2027}), days))
    received = local(2027, 2, 4, 10, 0)
    assert deadlines.deadlines_for("求助", "一般", received)[1] == end_of(2027, 2, 11)  # this context's: weekends
    assert deadlines.deadlines_for("求助", "一般", received, calendar=entered) == (
        end_of(2027, 2, 14),
        end_of(2027, 2, 18),
    )
    assert deadlines.extended_due(end_of(2027, 2, 4), 1) == end_of(2027, 2, 5)
    assert deadlines.extended_due(end_of(2027, 2, 4), 1, calendar=entered) == end_of(2027, 2, 14)
