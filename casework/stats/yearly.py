"""The yearly summary: the year's totals, month by month, by village and type, and the report's sentences."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from ..clock import zone_name
from . import figures as fg
from .periods import Month, local_midnight, year_months

YEAR_ORDER_DIMS = ("village", "category", "request_type")
YEAR_DISPUTE_DIMS = ("category", "village")


def approx_count(n: int) -> str:
    """The report's "N余" ("more than N"), always a true statement about n.

    Under 10: the exact number, no 余. From 10 to 99: the tens (37 → 30余). From 100: the two
    leading digits (137 → 130余, 1,234 → 1200余, 12,345 → 12000余). When rounding loses nothing
    (30, 130, 1200) the exact number is given without 余, since 余 means "more than"."""
    if n < 10:
        return str(n)
    step = 10 if n < 100 else 10 ** (len(str(n)) - 2)
    floor = n // step * step
    return f"{floor}余" if floor < n else str(floor)


@dataclass
class YearlySummary(fg.PeriodFigures):
    year: int
    order_months: list[tuple[Month, fg.Counts]]  # open_past_due is not counted month by month
    dispute_months: list[tuple[Month, fg.Counts]]

    @property
    def start(self) -> datetime:
        """The year's first instant (local midnight of 1 January), in UTC."""
        return local_midnight(self.year, 1, self.timezone)

    @property
    def end(self) -> datetime:
        """The next year's first instant, in UTC (exclusive)."""
        return local_midnight(self.year + 1, 1, self.timezone)

    @property
    def is_partial(self) -> bool:
        """Counted before the year was over: its figures so far, not the year's."""
        return self.generated_at < self.end

    @property
    def hotline_sentence(self) -> str:
        return f"{self.township}今年共处理“12345”热线来访{self.orders['resolved']}件。"

    @property
    def disputes_approx(self) -> str:
        return approx_count(self.disputes["settled"])

    @property
    def disputes_sentence(self) -> str:
        return f"{self.township}全年累计化解矛盾纠纷{self.disputes_approx}起。"


def year_edges(year: int, tz: str) -> list[datetime]:
    """The 13 instants bounding the year's months in local time, in UTC."""
    return [m.bounds(tz)[0] for m in year_months(year)] + [local_midnight(year + 1, 1, tz)]


def yearly_summary(year: int, now: datetime | None = None) -> YearlySummary:
    """The year's figures, counted like the monthly ones with the year as the period, at `now`
    (default: the current time).

    A case resolved in two different months counts once in the year's total and once in each month."""
    now = now or datetime.now(UTC)
    tz = zone_name()
    edges = year_edges(year, tz)
    whole = [edges[0], edges[-1]]
    rows = fg.fetch(fg.order_year_query(edges, YEAR_ORDER_DIMS, now))  # the year and its months, one pass
    stock = fg.fetch(fg.order_stock_query(min(edges[-1], now), YEAR_ORDER_DIMS))
    o_rows = [r for r in rows if r["b"] == -1] + stock
    by_month = fg.rollup([r for r in rows if r["b"] != -1], fg.ORDER_COUNTS, ["b"])
    d_rows = fg.fetch(fg.dispute_query(whole, YEAR_DISPUTE_DIMS))
    return YearlySummary(
        year=year,
        township=current_app.config["TOWNSHIP_NAME"],
        timezone=tz,
        generated_at=now,
        **fg.counted(o_rows, d_rows, YEAR_ORDER_DIMS, YEAR_DISPUTE_DIMS),
        order_months=[
            (m, fg.counts_of(by_month.get((i,)), fg.ORDER_COUNTS, fg.ORDER_RATES))
            for i, m in enumerate(year_months(year))
        ],
        dispute_months=dispute_months(year_months(year), edges),
    )


def dispute_months(months: list[Month], edges: list[datetime]) -> list[tuple[Month, fg.Counts]]:
    """Dispute counts for consecutive months in one query (bucketed by the month boundaries)."""
    by_bucket = fg.rollup(fg.fetch(fg.dispute_query(edges, ())), fg.DISPUTE_COUNTS, ["b"])
    return [(m, fg.counts_of(by_bucket.get((i,)), fg.DISPUTE_COUNTS, fg.DISPUTE_RATES)) for i, m in enumerate(months)]
