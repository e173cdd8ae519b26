"""The calendar the process shares holds committed entries only: a schedule entered in a request that then fails
(rolled back) is never counted by, in that request's threads or later; nor is its id mistaken for another's."""

from datetime import date

from sqlalchemy import select

from casework import deadlines, holidays
from casework.extensions import db
from casework.intake.ingest import ingest
from casework.models import Case, HolidaySchedule
from tests.helpers import SCHEDULE_2027, due_of, end_of, local, row

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


def test_a_long_intake_run_follows_a_schedule_committed_between_its_batches(app, monkeypatch):
    monkeypatch.setattr("casework.intake.ingest.BATCH", 2)
    monkeypatch.setattr("casework.intake.normalize.utcnow", lambda: local(2027, 2, 4, 12, 0))
    spring_eve = {"received_at": "2027-02-04 10:00", "request_type": "求助"}  # Thursday before 春节

    def an_administrator_enters_2027(part):
        if part.new and not holidays.entries(2027):  # after the first batch only
            db.session.commit()  # the batch (ingest commits it just after): SQLite's write lock is free
            with app.app_context():  # another worker's request, committed
                db.session.add(
                    HolidaySchedule(
                        year=2027, holidays=SCHEDULE_2027["holidays"], workdays=SCHEDULE_2027["workdays"], source="page"
                    )
                )
                db.session.commit()
                db.session.remove()

    rows = [row(n, **spring_eve) for n in range(1, 5)]
    result = ingest(rows, None, "f.csv", commit_each_batch=True, on_batch=an_administrator_enters_2027)
    assert result.new == 4, result
    due = {c.number: c.due_at for c in db.session.scalars(select(Case))}
    assert due[row(1)["order_no"]] == due[row(2)["order_no"]] == end_of(2027, 2, 11)  # weekends only, then
    assert due[row(3)["order_no"]] == due[row(4)["order_no"]] == end_of(2027, 2, 18)  # 春节 off, 02-14 worked
