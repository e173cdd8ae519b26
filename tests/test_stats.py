"""Monthly figures against the hand-counted October 2026 (tests/october.py), and months around it."""

from datetime import datetime

import pytest

from casework import deadlines, holidays
from casework import workflow as wf
from casework.extensions import db
from casework.stats.definitions import group_name
from casework.stats.figures import Rate
from casework.stats.monthly import monthly_figures
from casework.stats.periods import BadPeriod, Month, parse_month, parse_year
from tests.helpers import SCHEDULE_2027
from tests.october import OCTOBER, OCTOBER_DISPUTES, OCTOBER_ORDERS, SH, later_activity, new_order, sh


def _rows(table) -> dict[str, dict]:
    """A breakdown's rows by the name the exports give them."""
    return {group_name(table.dim, group): counts.values for group, counts in table.rows}


def test_october_hotline_totals_match_the_hand_count(october):
    fig = monthly_figures(OCTOBER)
    assert fig.orders.values == OCTOBER_ORDERS


def test_october_rates_carry_their_numerator_and_denominator(october):
    rates = monthly_figures(OCTOBER).orders.rates
    assert rates == {
        "response_rate": Rate(2, 3),
        "solved_rate": Rate(2, 3),
        "satisfaction_rate": Rate(2, 3),
        "on_time_rate": Rate(1, 3),
    }
    assert rates["on_time_rate"].text == "33.3%"


def test_rate_without_denominator_is_a_dash():
    assert Rate(0, 0).value is None
    assert Rate(0, 0).text == "—"


def test_october_by_village(october):
    rows = _rows(monthly_figures(OCTOBER).order_tables["village"])
    assert rows["东风村"] == dict(
        OCTOBER_ORDERS,
        received=2,
        ack_due=2,
        ack_on_time=1,
        assigned=2,
        resolved=3,
        resolved_on_time=1,
        open_past_due=0,
        returned=0,
        reopened=2,
    )
    assert rows["红旗村"] == dict.fromkeys(OCTOBER_ORDERS, 0) | {"received": 1, "ack_due": 1, "ack_on_time": 1}
    assert rows["向阳村"] == dict.fromkeys(OCTOBER_ORDERS, 0) | {"assigned": 1, "returned": 1, "open_past_due": 1}


def test_october_by_cadre_takes_who_held_the_order_at_month_end(october, world):
    table = monthly_figures(OCTOBER).order_tables["cadre"]
    rows = _rows(table)
    assert set(rows) == {"李明", "赵强", "（未派单）"}  # C was only assigned on 1 November
    assert rows["李明"]["resolved"] == 3
    assert rows["赵强"]["open_past_due"] == 1
    assert rows["（未派单）"]["received"] == 1


def test_october_by_category_and_request_type(october):
    fig = monthly_figures(OCTOBER)
    category = _rows(fig.order_tables["category"])
    assert {k: (v["received"], v["resolved"], v["open_past_due"]) for k, v in category.items()} == {
        "道路": (1, 1, 1),
        "供暖": (1, 2, 0),
        "环境卫生": (1, 0, 0),
    }
    kinds = _rows(fig.order_tables["request_type"])
    assert {k: (v["received"], v["reopened"], v["callbacks"]) for k, v in kinds.items()} == {
        "求助": (1, 1, 1),
        "投诉": (1, 1, 2),
        "咨询": (1, 0, 0),
    }


def test_every_breakdown_adds_up_to_the_total(october):
    fig = monthly_figures(OCTOBER)
    for table in [*fig.order_tables.values(), *fig.dispute_tables.values()]:
        for name, value in table.total.values.items():
            assert sum(c[name] for _, c in table.rows) == value, (table.dim, name)
    assert fig.order_tables["village"].total.values == fig.orders.values


def test_october_disputes(october):
    fig = monthly_figures(OCTOBER)
    assert fig.disputes.values == OCTOBER_DISPUTES
    assert fig.disputes.rate("success_rate") == Rate(1, 3)
    by_type = _rows(fig.dispute_tables["category"])
    assert {k: (v["received"], v["settled"], v["failed"], v["withdrawn"]) for k, v in by_type.items()} == {
        "邻里纠纷": (3, 1, 1, 0),
        "土地承包": (1, 0, 1, 0),
        "婚姻家庭": (0, 0, 0, 1),
    }
    by_tier = _rows(fig.dispute_tables["tier"])
    assert {k: v["concluded"] for k, v in by_tier.items()} == {"村级调解": 3, "片区调解": 1}
    by_village = _rows(fig.dispute_tables["village"])
    assert {k: (v["received"], v["escalated"]) for k, v in by_village.items()} == {
        "东风村": (2, 0),
        "红旗村": (2, 1),
        "向阳村": (0, 0),
    }


def test_an_order_received_at_2330_on_31_october_counts_in_october_not_november(october):
    assert monthly_figures(Month(2026, 11)).orders["received"] == 1  # D only
    november = _rows(monthly_figures(Month(2026, 11)).order_tables["category"])
    assert "环境卫生" not in november or november["环境卫生"]["received"] == 0


def test_a_reopened_order_counts_once_as_resolved_and_once_as_reopened(october):
    fig = monthly_figures(OCTOBER)
    heating = _rows(fig.order_tables["category"])["供暖"]  # B (resolved, reopened, resolved) and F
    assert (heating["resolved"], heating["reopened"], heating["callbacks"]) == (2, 2, 2)


def test_a_closed_month_does_not_change_after_later_activity(october, world):
    before = monthly_figures(OCTOBER)
    later_activity(world, october)
    after = monthly_figures(OCTOBER)
    assert after.orders.values == before.orders.values
    assert after.disputes.values == before.disputes.values
    for dim in before.order_tables:
        assert _rows(after.order_tables[dim]) == _rows(before.order_tables[dim]), dim
    for dim in before.dispute_tables:
        assert _rows(after.dispute_tables[dim]) == _rows(before.dispute_tables[dim]), dim


def test_a_closed_month_does_not_change_when_next_years_calendar_is_entered(world):
    """December 2026, counted by weekends into 2027, then the 2027 schedule is entered on 4 January: the open
    orders' deadlines are recounted, December's figures stay as they were."""
    d, december = world.dispatcher, Month(2026, 12)
    late = new_order(world, "GD-K1", world.v1, "道路", "求助", sh(12, 31, 10), *_rule_deadlines(sh(12, 31, 10)))
    wf.assign(late, d, assignee=world.cadre1, at=sh(1, 4, 9, year=2027))  # after its acknowledgement deadline, Jan 1
    again = new_order(world, "GD-K2", world.v1, "道路", "求助", sh(12, 28, 10), *_rule_deadlines(sh(12, 28, 10)))
    wf.assign(again, d, assignee=world.cadre1, at=sh(12, 28, 11))
    wf.resolve(again, world.cadre1, result="已修", at=sh(12, 31, 9))  # on time: due Jan 4
    wf.reopen(again, d, reason="又坏了", at=sh(1, 2, 9, year=2027))
    db.session.commit()
    before = monthly_figures(december)
    entered = holidays.enter_schedule(
        world.admin, holidays.read_schedule(SCHEDULE_2027), source="page", at=sh(1, 4, 12, year=2027)
    )
    db.session.commit()
    assert entered.recounted == 2
    after = monthly_figures(december)
    assert after.orders.values == before.orders.values
    for dim in before.order_tables:
        assert _rows(after.order_tables[dim]) == _rows(before.order_tables[dim]), dim


def _rule_deadlines(received: datetime) -> tuple[datetime, datetime]:
    return deadlines.deadlines_for("求助", "一般", received)


def test_later_activity_counts_in_the_month_it_happened(october, world):
    later_activity(world, october)
    november = monthly_figures(Month(2026, 11))
    assert november.orders["reopened"] == 1  # F
    assert november.disputes["settled"] == 2  # S, and Q settled after its reopening


def test_an_empty_month_is_all_zero_and_dashes(world):
    fig = monthly_figures(Month(2025, 2))
    assert set(fig.orders.values.values()) == {0}
    assert {r.text for r in fig.orders.rates.values()} == {"—"}
    assert fig.order_tables["village"].rows == []


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "abc", "", "2026-1", "26-10", "2026-10-01"])
def test_bad_months_are_refused(text):
    with pytest.raises(BadPeriod):
        parse_month(text)


def test_months_and_years_parse():
    assert parse_month(" 2026-10 ") == Month(2026, 10)
    assert parse_year("2026") == 2026
    with pytest.raises(BadPeriod):
        parse_year("twenty")


def test_month_bounds_are_local_midnights_in_utc():
    start, end = OCTOBER.bounds("Asia/Shanghai")
    assert (start.isoformat(), end.isoformat()) == ("2026-09-30T16:00:00+00:00", "2026-10-31T16:00:00+00:00")
    assert Month(2026, 12).shift(1) == Month(2027, 1) and Month(2026, 1).shift(-1) == Month(2025, 12)


# Extensions: workflow.request_extension's table check (_may_ask_extension, workflow.py) compares the
# deadline with the real clock rather than the action's `at`, so these orders live in 2030 to keep
# their deadlines ahead of today.
LATER_OCTOBER = Month(2030, 10)
NEW_YEAR = datetime(2031, 1, 1, tzinfo=SH)  # "now" for these figures: both months are over


def x(month: int, day: int, hour: int = 0) -> datetime:
    return sh(month, day, hour, year=2030)


def test_a_granted_extension_makes_a_later_resolution_on_time(world):
    g = new_order(world, "GD-G", world.v1, "道路", "求助", x(10, 8, 9), x(10, 8, 12), x(10, 12, 18))
    wf.assign(g, world.dispatcher, assignee=world.cadre1, at=x(10, 8, 10))
    wf.request_extension(g, world.cadre1, reason="等待材料", working_days=2, at=x(10, 10, 9))
    wf.grant_extension(g, world.dispatcher, at=x(10, 10, 10))
    wf.resolve(g, world.cadre1, result="已修复", at=x(10, 13, 9))  # after the first due time, before the new
    db.session.commit()
    orders = monthly_figures(LATER_OCTOBER, now=NEW_YEAR).orders
    assert (orders["extended"], orders["resolved"], orders["resolved_on_time"]) == (1, 1, 1)


def test_an_extension_granted_after_the_month_leaves_its_overdue_count_alone(world):
    k = new_order(world, "GD-K", world.v1, "道路", "求助", x(10, 26, 9), x(10, 26, 12), x(10, 30, 18))
    wf.assign(k, world.dispatcher, assignee=world.cadre1, at=x(10, 26, 10))
    wf.request_extension(k, world.cadre1, reason="等待材料", working_days=2, at=x(10, 29, 9))
    db.session.commit()
    assert (
        monthly_figures(LATER_OCTOBER, now=NEW_YEAR).orders["open_past_due"] == 1
    )  # due 30 October, still open at its end
    wf.grant_extension(k, world.dispatcher, at=x(11, 2, 9))  # the request waited over the month's end
    db.session.commit()
    assert k.due_at > LATER_OCTOBER.bounds("Asia/Shanghai")[1]
    assert monthly_figures(LATER_OCTOBER, now=NEW_YEAR).orders["open_past_due"] == 1
    assert monthly_figures(Month(2030, 11), now=NEW_YEAR).orders["extended"] == 1


def test_an_order_still_within_its_acknowledgement_time_is_left_out_of_the_response_rate(world):
    # Received at 10:00 on 20 November, to be acknowledged by 12:00; nobody has taken it yet.
    new_order(world, "GD-WAIT", world.v1, "道路", "求助", sh(11, 20, 10), ack_due=sh(11, 20, 12))
    db.session.commit()
    during = monthly_figures(Month(2026, 11), now=sh(11, 20, 11)).orders
    assert (during["received"], during["ack_due"], during.rate("response_rate")) == (1, 0, Rate(0, 0))
    after = monthly_figures(Month(2026, 11), now=sh(11, 20, 13)).orders
    assert (after["ack_due"], after.rate("response_rate")) == (1, Rate(0, 1))  # now it is late


def test_an_order_acknowledged_before_its_deadline_counts_at_once(world):
    order = new_order(world, "GD-TAKEN", world.v1, "道路", "求助", sh(11, 20, 10), ack_due=sh(11, 20, 12))
    wf.assign(order, world.dispatcher, assignee=world.cadre1, at=sh(11, 20, 10, 30))
    db.session.commit()
    figures = monthly_figures(Month(2026, 11), now=sh(11, 20, 11)).orders
    assert figures.rate("response_rate") == Rate(1, 1)


def test_without_a_deadline_the_acknowledgement_window_decides_what_is_pending(world, app):
    new_order(world, "GD-NODUE", world.v1, "道路", "求助", sh(11, 20, 10))  # STATS_ACK_WINDOW_HOURS = 24
    db.session.commit()
    assert monthly_figures(Month(2026, 11), now=sh(11, 21, 9)).orders["ack_due"] == 0
    assert monthly_figures(Month(2026, 11), now=sh(11, 21, 11)).orders["ack_due"] == 1
