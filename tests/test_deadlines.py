"""Deadlines in Chinese working days (with 调休 make-up days), the fallback for unknown years, due states."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework import deadlines
from casework.deadlines import due_state as urgency_of
from casework.extensions import db
from casework.models import Case, utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(y, m, d) -> datetime:
    return local(y, m, d, 23, 59, 59).astimezone(UTC)


def test_five_working_days_across_national_day_count_the_saturday_make_up_day(app):
    # 10-01..10-07 are off; Sat 10-10 is a working day (调休); so Oct 8, 9, 10, 12, 13.
    _, due = deadlines.deadlines_for("求助", "一般", local(2026, 9, 30, 10, 0))
    assert due == end_of(2026, 10, 13)


def test_an_order_received_on_a_holiday_counts_from_the_next_working_days(app):
    _, due = deadlines.deadlines_for("咨询", "一般", local(2026, 10, 3, 9, 0))
    assert due == end_of(2026, 10, 10)  # Oct 8, 9 and the make-up Saturday


def test_the_acknowledgement_deadline_skips_the_holiday_too(app):
    ack, _ = deadlines.deadlines_for("投诉", "一般", local(2026, 9, 30, 16, 0))
    assert ack == end_of(2026, 10, 8)


def test_urgent_orders_are_acknowledged_within_two_hours_even_on_a_holiday(app):
    ack, _ = deadlines.deadlines_for("求助", "特急", local(2026, 10, 2, 22, 0))
    assert ack == local(2026, 10, 3, 0, 0).astimezone(UTC)


def test_utility_categories_are_due_in_24_hours_whatever_the_type(app):
    _, due = deadlines.deadlines_for("咨询", "一般", local(2026, 10, 1, 9, 0), category="供暖")
    assert due == local(2026, 10, 2, 9, 0).astimezone(UTC)


def test_unknown_types_use_the_default_rule(app):
    _, due = deadlines.deadlines_for("其他", "一般", local(2026, 3, 5, 8, 30))
    assert due == end_of(2026, 3, 12)  # 5 working days: Fri 6, Mon 9 … Thu 12


def test_a_platform_deadline_wins_and_the_acknowledgement_never_falls_after_it(app):
    given = local(2026, 3, 5, 12, 0).astimezone(UTC)
    ack, due = deadlines.deadlines_for("求助", "一般", local(2026, 3, 5, 8, 30), deadline=given)
    assert (ack, due) == (given, given)


def test_rules_come_from_configuration(app):
    app.config["DEADLINE_DUE_BY_TYPE"] = {"咨询": "1wd"}
    app.config["DEADLINE_ACK_BY_URGENCY"] = {"紧急": "30h"}
    ack, due = deadlines.deadlines_for("咨询", "紧急", local(2026, 3, 5, 8, 30))
    assert due == end_of(2026, 3, 6)
    assert ack == local(2026, 3, 6, 14, 30).astimezone(UTC)


def test_a_bad_rule_in_configuration_is_refused():
    with pytest.raises(ValueError, match="neither"):
        deadlines.Rule.parse("5 days")


def test_2027_falls_back_to_weekends_with_one_warning_per_year(app, caplog):
    caplog.set_level(logging.WARNING, logger="casework.deadlines")
    _, due = deadlines.deadlines_for("求助", "一般", local(2026, 12, 30, 10, 0))
    _, later = deadlines.deadlines_for("求助", "一般", local(2027, 2, 10, 10, 0))
    # Dec 31 (known), then 2027 by weekdays only: Jan 1, 4, 5, 6
    assert due == end_of(2027, 1, 6)
    assert later == end_of(2027, 2, 17)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1


def test_configured_overrides_correct_an_unknown_year(app):
    app.config["CALENDAR_EXTRA_HOLIDAYS"] = ["2027-01-01"]
    app.config["CALENDAR_EXTRA_WORKDAYS"] = ["2027-01-02"]
    _, due = deadlines.deadlines_for("咨询", "一般", local(2026, 12, 31, 10, 0))
    assert due == end_of(2027, 1, 5)  # Sat Jan 2 (worked), Mon 4, Tue 5


def test_extensions_add_working_days_keeping_the_time_of_day(app):
    assert deadlines.extended_due(end_of(2026, 9, 30), 3) == end_of(2026, 10, 10)
    assert deadlines.extended_due(local(2026, 9, 29, 9, 0), 2) == local(2026, 10, 8, 9, 0).astimezone(UTC)


def case(due_at, state="assigned"):
    return Case(state=state, due_at=due_at)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (local(2026, 10, 14, 0, 0), "overdue"),
        (local(2026, 10, 13, 9, 0), "due-soon"),
        (local(2026, 10, 12, 23, 59, 59), "due-soon"),  # one working day before the end of Oct 13
        (local(2026, 10, 12, 23, 0), "on-time"),
    ],
)
def test_due_state_goes_yellow_one_working_day_before_and_red_after(app, now, state):
    assert deadlines.due_state(case(end_of(2026, 10, 13)), now.astimezone(UTC)) == state


def test_due_soon_reaches_back_over_a_weekend_and_holiday(app):
    due = end_of(2026, 10, 8)  # first working day after National Day: yellow since the end of Sep 30
    assert deadlines.due_state(case(due), local(2026, 10, 1, 9, 0).astimezone(UTC)) == "due-soon"
    assert deadlines.due_state(case(due), local(2026, 9, 30, 12, 0).astimezone(UTC)) == "on-time"


def test_resolved_cases_and_cases_without_a_due_time_have_no_due_state(app):
    now = local(2026, 10, 20, 0, 0).astimezone(UTC)
    assert deadlines.due_state(case(end_of(2026, 10, 13), state="resolved"), now) == "none"
    assert deadlines.due_state(case(None), now) == "none"


def test_the_queue_colours_come_from_due_state(app):
    overdue = case(end_of(2026, 10, 13))
    assert urgency_of(overdue, local(2026, 10, 15, 8, 0).astimezone(UTC)) == "overdue"


def test_the_due_state_is_coloured_on_my_cases(world, make, auth, client):
    soon = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    auth.login(world.cadre1)
    page = client.get("/my").get_data(as_text=True)
    assert soon.number in page and 'class="due-soon"' in page


# --- the acknowledgement (签收) deadline -----------------------------------------------------------

ACK_DUE = datetime(2026, 10, 13, 3, 0, tzinfo=UTC)


def waiting(state="received", acknowledged_at=None, ack_due_at=ACK_DUE):
    return Case(state=state, acknowledged_at=acknowledged_at, ack_due_at=ack_due_at)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (ACK_DUE + timedelta(seconds=1), "overdue"),
        (ACK_DUE, "due-soon"),
        (ACK_DUE - timedelta(minutes=30), "due-soon"),  # ACK_DUE_SOON_MINUTES, 30 by default
        (ACK_DUE - timedelta(minutes=31), "on-time"),
    ],
)
def test_the_acknowledgement_goes_yellow_half_an_hour_before_and_red_after(app, now, state):
    assert deadlines.ack_state(waiting(), now) == state


def test_how_soon_is_soon_for_an_acknowledgement_comes_from_configuration(app):
    app.config["ACK_DUE_SOON_MINUTES"] = 90
    app.extensions.pop("casework.deadlines", None)  # the rules are read once per app
    assert deadlines.ack_state(waiting(), ACK_DUE - timedelta(minutes=80)) == "due-soon"


@pytest.mark.parametrize(
    "case",
    [
        waiting(state="assigned", acknowledged_at=ACK_DUE),
        waiting(acknowledged_at=ACK_DUE - timedelta(hours=1)),  # returned: acknowledged when first dispatched
        waiting(ack_due_at=None),  # a dispute has no acknowledgement deadline
        waiting(state="resolved", acknowledged_at=ACK_DUE),
    ],
)
def test_only_an_order_awaiting_its_first_dispatch_has_an_acknowledgement_state(app, case):
    assert deadlines.ack_state(case, ACK_DUE + timedelta(days=3)) == "none"
