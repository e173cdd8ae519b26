"""The calendar the process shares holds committed entries only: a schedule entered in a request that then fails
(rolled back) is never counted by, in that request's threads or later; nor is its id mistaken for another's."""

from datetime import date

from casework import deadlines, holidays
from casework.extensions import db
from casework.models import HolidaySchedule
from tests.test_holiday_calendar import SCHEDULE_2027, due_of, end_of, local

FEBRUARY_5 = date(2027, 2, 5)  # a Friday, the first day of 春节 in SCHEDULE_2027


def test_a_schedule_entered_in_a_request_that_fails_is_never_counted_by_another(world, app):
    assert deadlines.calendar().is_workday(FEBRUARY_5)  # this context (another thread) has checked: weekends only
    with app.app_context():  # a request entering 2027, then failing (a 409, a failed commit): rolled back
        entered = holidays.enter_schedule(None, holidays.read_schedule(SCHEDULE_2027), source="page")
        assert entered.changed
        assert not deadlines.calendar().is_workday(FEBRUARY_5)  # the request itself counts by what it entered
        db.session.rollback()
        db.session.remove()
    assert deadlines.calendar().is_workday(FEBRUARY_5)
    assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 11)
    with app.app_context():
        assert deadlines.calendar().is_workday(FEBRUARY_5)
        db.session.remove()


def test_a_rolled_back_entrys_id_taken_again_by_a_committed_one_is_followed(world, app):
    with app.app_context():
        holidays.enter_schedule(None, holidays.read_schedule(SCHEDULE_2027), source="page")
        db.session.rollback()
        db.session.remove()
    with app.app_context():  # another worker commits a 2027 schedule without 春节 (on SQLite: the same id)
        spring = {**SCHEDULE_2027, "holidays": [h for h in SCHEDULE_2027["holidays"] if h["name"] != "春节"]}
        db.session.add(HolidaySchedule(year=2027, holidays=spring["holidays"], workdays=[], source="page"))
        db.session.commit()
        db.session.remove()
    with app.app_context():
        assert deadlines.calendar().knows(2027)
        assert deadlines.calendar().is_workday(FEBRUARY_5)
        assert not deadlines.calendar().is_workday(date(2027, 1, 1))
        db.session.remove()
