"""The leaders' dashboard: this month against last month and a year ago, 12-month trends, overdue villages."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from ..clock import zone_name
from ..extensions import db
from ..models import Case, Village
from . import figures as fg
from . import snapshots
from .monthly import order_rows
from .periods import Month, current_month


@dataclass
class Dashboard:
    now: datetime
    months: list[Month]  # this month, last month, the same month last year
    orders: list[fg.Counts]
    disputes: list[fg.Counts]
    trend: list[tuple[Month, fg.Counts]]  # the last 12 months, oldest first
    overdue_villages: list[tuple[str | None, int]]


def month_overview(month: Month, now: datetime) -> tuple[fg.Counts, fg.Counts]:
    """A month's hotline and dispute totals (kept once the month is closed); a running month up to now."""

    def compute() -> dict:
        start, end = month.bounds(zone_name())
        o_rows = order_rows([start, end], (), cutoff=min(end, now), now=now)
        d_rows = fg.fetch(fg.dispute_query([start, end], ()))
        orders = fg.total_of(o_rows, fg.ORDER_COUNTS, fg.ORDER_RATES)
        return {"orders": orders.values, "disputes": fg.total_of(d_rows, fg.DISPUTE_COUNTS, fg.DISPUTE_RATES).values}

    kept = snapshots.kept("dashboard-overview", month, now, compute)
    return _counts(kept["orders"], fg.ORDER_RATES), _counts(kept["disputes"], fg.DISPUTE_RATES)


def month_flows(month: Month, now: datetime) -> fg.Counts:
    """A month's hotline order flows, without the stock of orders open past due (kept once the month is closed);
    a running month up to now."""

    def compute() -> dict:
        edges = list(month.bounds(zone_name()))
        return fg.total_of(fg.fetch(fg.order_flow_query(edges, (), now)), fg.ORDER_COUNTS, fg.ORDER_RATES).values

    return _counts(snapshots.kept("dashboard-flows", month, now, compute), fg.ORDER_RATES)


def _counts(values: dict, rate_defs) -> fg.Counts:
    return fg.Counts({k: int(v) for k, v in values.items()}, rate_defs)


def overdue_by_village(now: datetime, limit: int = 10) -> list[tuple[str | None, int]]:
    """Villages with the most hotline orders open past their due time now (most first); the orders of no
    village under the name None."""
    overdue = func.count(Case.id)
    stmt = (
        select(Village.name, overdue)
        .select_from(Case)
        .outerjoin(Village, Village.id == Case.village_id)
        .where(Case.kind == "order", Case.overdue_at(now))
        .group_by(Village.name)
        .order_by(overdue.desc(), Village.name)
        .limit(limit)
    )
    return [(name, n) for name, n in db.session.execute(stmt)]


def dashboard(now: datetime | None = None) -> Dashboard:
    """Counted in SQL at `now` (default: now): this month, last month and the same month a year ago (orders and
    disputes), the order flows of the twelve months to this one (oldest first; this month and last month
    with their stock), and the ten villages with most orders open past due."""
    now = now or datetime.now(UTC)
    tz = zone_name()
    this = current_month(tz, now)
    months = [this, this.shift(-1), this.shift(-12)]
    overviews = [month_overview(m, now) for m in months]
    counted = {m: orders for m, (orders, _) in zip(months, overviews, strict=True)}  # flows and their stock
    trend = [(m, counted[m] if m in counted else month_flows(m, now)) for m in (this.shift(i) for i in range(-11, 1))]
    return Dashboard(
        now=now,
        months=months,
        orders=[o for o, _ in overviews],
        disputes=[d for _, d in overviews],
        trend=trend,
        overdue_villages=overdue_by_village(now),
    )
