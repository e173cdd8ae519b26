"""A month's figures (hotline orders and disputes) and the month's order list."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import Row, and_, case, func, select
from sqlalchemy.orm import aliased

from ..attachments import photo_counts
from ..clock import zone_name
from ..extensions import db
from ..models import Case, CaseEvent, User, Village
from . import figures as fg
from .localtext import local_minute
from .periods import Month

ORDER_DIMS = ("village", "category", "request_type", "cadre")
DISPUTE_DIMS = ("category", "tier", "village")


@dataclass
class MonthlyFigures(fg.PeriodFigures):
    """A month's figures and its bounds."""

    month: Month
    start: datetime  # UTC
    end: datetime  # UTC, exclusive


def order_rows(edges, dims, cutoff: datetime | None = None, now: datetime | None = None) -> list[dict]:
    """Flow and stock counts per combination of `dims` (single bucket: edges = [start, end]), counted
    at `now` (default: the current time).

    The stock (open past due) is taken at `cutoff`: the period's end, or now while it is running."""
    flows = fg.fetch(fg.order_flow_query(edges, dims, now))
    stock = fg.fetch(fg.order_stock_query(cutoff or edges[-1], dims))
    return flows + stock


def monthly_figures(month: Month, now: datetime | None = None) -> MonthlyFigures:
    """Every figure of the month, from the history up to the month's end (local time boundaries).

    While the month runs (before `now`, default the current time, passes its end) the open-past-due
    stock is taken at `now`."""
    tz = zone_name()
    start, end = month.bounds(tz)
    now = now or datetime.now(UTC)
    o_rows = order_rows([start, end], ORDER_DIMS, cutoff=min(end, now), now=now)
    d_rows = fg.fetch(fg.dispute_query([start, end], DISPUTE_DIMS))
    return MonthlyFigures(
        month=month,
        start=start,
        end=end,
        township=current_app.config["TOWNSHIP_NAME"],
        timezone=tz,
        generated_at=now,
        **fg.counted(o_rows, d_rows, ORDER_DIMS, DISPUTE_DIMS),
    )


# --- the month's orders, streamed --------------------------------------------------------------

ORDER_LIST_SPAN = timedelta(days=400)  # times listed run from the month's start to due dates after it


def month_orders(month: Month, batch: int = 2000) -> Iterator[Row]:
    """The orders received in the month, oldest first, as they stood at the month's end: number, received,
    village, category, request type, urgency, acknowledged, due, state (its code), cadre, resolved, reopenings,
    extensions, photos (现场照片 attached before the month's end); text that is not there is empty.

    Streamed from a server-side cursor in batches: a month of any size never sits in memory.
    State and cadre are taken from the history before the month's end; the database writes the
    times as local text, so each row comes back as the plain values the exports write."""
    tz = zone_name()
    start, end = month.bounds(tz)
    stmt = _month_orders_query(start, end, tz).execution_options(stream_results=True, yield_per=batch)
    yield from db.session.execute(stmt)


def _month_orders_query(start: datetime, end: datetime, tz: str):
    """The month's orders with their history before `end` summed up in one pass over their events."""
    month = select(Case.id).where(Case.received_at >= start, Case.received_at < end)
    ev = CaseEvent
    before = ev.at < end
    history = (
        select(
            ev.case_id,
            func.max(case((before, ev.id))).label("last_id"),
            func.max(case((and_(before, ev.action.in_(fg.HOLDING_ACTIONS)), ev.id))).label("holding_id"),
            func.max(case((and_(before, ev.action == "resolve"), ev.at))).label("resolved_at"),
            func.sum(fg.flag(and_(before, ev.action == "reopen"))).label("reopens"),
            func.sum(fg.flag(and_(before, ev.action == "grant_extension"))).label("extensions"),
        )
        .where(ev.case_id.in_(month))
        .group_by(ev.case_id)
        .subquery("h")
    )
    photos = photo_counts(month, end)
    then, holding, cadre = aliased(CaseEvent), aliased(CaseEvent), aliased(User)
    dialect = db.session.get_bind().dialect.name

    def local(column):
        return local_minute(column, tz, (start, end + ORDER_LIST_SPAN), dialect)

    state_then = func.coalesce(then.to_state, "received")
    return (
        select(
            Case.number,
            local(Case.received_at),
            func.coalesce(Village.name, ""),
            Case.category,
            Case.request_type,
            Case.urgency,
            case((Case.acknowledged_at < end, local(Case.acknowledged_at)), else_=""),
            func.coalesce(local(fg.due_as_of(end)), ""),
            state_then,
            func.coalesce(cadre.name, ""),
            func.coalesce(case((state_then == "resolved", local(history.c.resolved_at))), ""),
            func.coalesce(history.c.reopens, 0),
            func.coalesce(history.c.extensions, 0),
            func.coalesce(photos.c.photos, 0),
        )
        .outerjoin(history, history.c.case_id == Case.id)
        .outerjoin(photos, photos.c.case_id == Case.id)
        .outerjoin(Village, Village.id == Case.village_id)
        .outerjoin(then, then.id == history.c.last_id)
        .outerjoin(holding, holding.id == history.c.holding_id)
        .outerjoin(cadre, cadre.id == holding.data["assignee_id"].as_integer())
        .where(fg.unindexed(Case.kind) == "order", Case.received_at >= start, Case.received_at < end)
        .order_by(Case.received_at, Case.id)
    )
