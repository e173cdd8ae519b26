"""A closed month's dashboard figures are counted once, kept, and counted again only when they may differ."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from casework.extensions import db
from casework.models import StatsSnapshot
from casework.stats import snapshots
from casework.stats.dashboard import dashboard, month_overview
from casework.stats.periods import Month
from tests.october import OCTOBER, OCTOBER_ORDERS, new_dispute, new_order, sh

EARLY_NOVEMBER = datetime(2026, 11, 5, tzinfo=UTC)  # October ended less than a week ago
LATE_NOVEMBER = datetime(2026, 11, 20, tzinfo=UTC)  # October is closed


def _kept(period: str = "2026-10") -> list[StatsSnapshot]:
    return list(db.session.scalars(select(StatsSnapshot).where(StatsSnapshot.period == period)))


def test_a_month_is_closed_a_week_after_its_end(app):
    assert not snapshots.is_closed(OCTOBER, EARLY_NOVEMBER)
    assert snapshots.is_closed(OCTOBER, LATE_NOVEMBER)


def test_a_month_not_yet_closed_is_counted_live_and_not_kept(world, october):
    orders, _ = month_overview(OCTOBER, EARLY_NOVEMBER)
    assert orders["received"] == OCTOBER_ORDERS["received"]
    assert _kept() == []


def test_a_closed_month_is_kept_with_the_figures_counted_live(world, october):
    live_orders, live_disputes = month_overview(OCTOBER, EARLY_NOVEMBER)
    kept_orders, kept_disputes = month_overview(OCTOBER, LATE_NOVEMBER)
    assert (kept_orders.values, kept_disputes.values) == (live_orders.values, live_disputes.values)
    assert [s.what for s in _kept()] == ["dashboard-overview"]
    again_orders, _ = month_overview(OCTOBER, LATE_NOVEMBER)
    assert again_orders.values == live_orders.values
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 1


def test_the_kept_figures_are_the_ones_shown(world, october):
    month_overview(OCTOBER, LATE_NOVEMBER)
    snapshot = _kept()[0]
    snapshot.payload = {**snapshot.payload, "orders": {**snapshot.payload["orders"], "received": 999}}
    db.session.commit()
    assert month_overview(OCTOBER, LATE_NOVEMBER)[0]["received"] == 999  # not counted again


def test_an_order_imported_late_into_a_closed_month_is_counted(world, october):
    before, _ = month_overview(OCTOBER, LATE_NOVEMBER)
    new_order(world, "GD-LATE", world.v1, "道路", "求助", sh(10, 15, 9))
    db.session.commit()
    after, _ = month_overview(OCTOBER, LATE_NOVEMBER)
    assert after["received"] == before["received"] + 1
    assert len(_kept()) == 1


def test_a_dispute_registered_with_an_october_date_is_counted(world, october):
    _, before = month_overview(OCTOBER, LATE_NOVEMBER)
    new_dispute(world, world.v2, "邻里纠纷", sh(10, 20, 9))
    db.session.commit()
    _, after = month_overview(OCTOBER, LATE_NOVEMBER)
    assert after["received"] == before["received"] + 1


def test_changed_counting_rules_count_again(world, october, monkeypatch):
    month_overview(OCTOBER, LATE_NOVEMBER)
    first_rules = snapshots.RULES
    monkeypatch.setattr(snapshots, "RULES", "other-rules")
    month_overview(OCTOBER, LATE_NOVEMBER)
    assert sorted(s.rules for s in _kept()) == sorted(["other-rules", first_rules])


def test_the_dashboard_keeps_only_closed_months(world, october):
    board = dashboard(now=LATE_NOVEMBER)
    kept_periods = {s.period for s in db.session.scalars(select(StatsSnapshot))}
    assert "2026-11" not in kept_periods and "2026-10" in kept_periods
    assert [str(m) for m, _ in board.trend] == [str(Month(2025, 12).shift(i)) for i in range(12)]
    assert board.trend[-2][1]["resolved"] == OCTOBER_ORDERS["resolved"]
