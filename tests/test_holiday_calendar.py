"""The holiday calendar an administrator enters (节假日安排): deadlines into a year the package does not know.

SCHEDULE_2027 (in helpers.py) is a plausible 2027 schedule, not the State Council's.
"""

import logging
from datetime import datetime

import pytest

from casework import create_app, deadlines, holidays
from casework.extensions import db
from tests.helpers import SCHEDULE_2027, due_of, end_of, local


def enter(actor, data=SCHEDULE_2027, source="page"):
    entered = holidays.enter_schedule(actor, holidays.read_schedule(data), source=source)
    db.session.commit()
    return entered


def test_an_order_before_the_spring_festival_is_due_after_it_counting_the_make_up_day(world):
    received = local(2027, 2, 4, 10, 0)  # Thursday, the last working day before the holiday
    assert due_of(received) == end_of(2027, 2, 11)  # weekends only: in the middle of the holiday
    enter(world.admin)
    # Sun 02-14 (make-up), Mon 15, Tue 16, Wed 17, Thu 18
    assert due_of(received) == end_of(2027, 2, 18)


def test_an_order_received_on_2026_12_30_counts_the_entered_new_year_holiday(world):
    enter(world.admin)
    # Dec 31 (the package), then 元旦 Jan 1-3 off: Jan 4, 5, 6, 7
    assert due_of(local(2026, 12, 30, 10, 0)) == end_of(2027, 1, 7)


def test_a_year_entered_is_known_and_no_longer_logged_as_counted_by_weekends(world, caplog):
    caplog.set_level(logging.WARNING, logger="casework.deadlines")
    enter(world.admin)
    assert deadlines.calendar().knows(2027)
    due_of(local(2027, 3, 1, 10, 0))
    assert not [r for r in caplog.records if "2027" in r.getMessage()]


def test_the_entered_schedule_overrides_the_package_for_its_year(world):
    assert due_of(local(2026, 9, 30, 10, 0)) == end_of(2026, 10, 13)  # the package: National Day, Sat 10-10 worked
    enter(world.admin, {"year": 2026, "holidays": [{"name": "国庆节", "from": "2026-10-01", "to": "2026-10-03"}]})
    # Now only Oct 1-3 off and no make-up day: Mon 5, 6, 7, 8, 9
    assert due_of(local(2026, 9, 30, 10, 0)) == end_of(2026, 10, 9)


def test_the_operators_settings_stay_the_last_word_over_the_entered_days(world, app):
    app.config["CALENDAR_EXTRA_WORKDAYS"] = ["2027-02-05"]  # an operator's correction of a holiday
    app.config["CALENDAR_EXTRA_HOLIDAYS"] = ["2027-02-14"]  # and of a make-up day
    app.extensions.pop("casework.deadlines", None)
    enter(world.admin)
    # Fri 02-05 worked (1), Sun 02-14 not: Mon 15 (2), 16, 17, 18 (5)
    assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 18)
    assert deadlines.calendar().is_workday(datetime(2027, 2, 5).date())
    assert not deadlines.calendar().is_workday(datetime(2027, 2, 14).date())


def test_a_correction_is_followed_and_the_latest_entry_is_in_force(world):
    enter(world.admin)
    corrected = {**SCHEDULE_2027, "workdays": ["2027-02-20"]}  # Sunday 02-14 was not a make-up day after all
    enter(world.admin, corrected)
    assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 19)
    assert [e.workdays for e in holidays.entries(2027)] == [["2027-02-20"], SCHEDULE_2027["workdays"]]


def test_entering_the_same_schedule_again_adds_no_entry(world):
    assert enter(world.admin).changed
    assert not enter(world.admin).changed
    assert len(holidays.entries(2027)) == 1


@pytest.fixture
def other_worker(app):
    """A second app on the same database: another worker process, with its own cached calendar."""
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SCHEDULER", "INBOX_DIR")}
    return create_app({**config, "TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {}})


def test_another_worker_follows_an_entry_at_its_next_request(world, other_worker):
    with other_worker.app_context():
        assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 11)  # its calendar is built and cached
        db.session.remove()
    enter(world.admin)
    with other_worker.app_context():
        assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 18)
        db.session.remove()
        db.engine.dispose()
