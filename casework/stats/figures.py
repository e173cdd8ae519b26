"""The counting itself: GROUP BY queries over cases and their history, one pass per period.

How a period is counted (docs/statistics.md says the same in words):
- flows (received, assigned, resolved, returned, reopened, extended, callbacks, escalated, outcomes)
  come from `cases.received_at` and from the history events whose time falls in the period;
- stocks (orders open past their due time) are the state at the period's end, rebuilt from the history;
- each case gives one row of flags per period; the flags are summed per combination of the dimensions
  (village, category, request type, cadre / tier), and the overview and every breakdown are sums of
  those per-combination counts, so that they always add up.
Nothing here loads cases into Python: the database returns one row per combination.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Float, and_, case, cast, func, literal, literal_column, null, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from ..extensions import db
from ..models import Case, CaseEvent, User, UTCDateTime, Village
from ..models.calendar import RECOUNT

ORDER_COUNTS = (
    "received",
    "ack_due",
    "ack_on_time",
    "assigned",
    "resolved",
    "resolved_on_time",
    "open_past_due",
    "returned",
    "reopened",
    "extended",
    "callbacks",
    "callbacks_solved",
    "callbacks_satisfied",
)
DISPUTE_COUNTS = ("received", "concluded", "settled", "failed", "withdrawn", "mediated", "escalated")
ORDER_RATES = {
    "response_rate": ("ack_on_time", "ack_due"),
    "solved_rate": ("callbacks_solved", "callbacks"),
    "satisfaction_rate": ("callbacks_satisfied", "callbacks"),
    "on_time_rate": ("resolved_on_time", "resolved"),
}
DISPUTE_RATES = {"success_rate": ("settled", "mediated")}
FLOW_ACTIONS = ("assign", "resolve", "return", "reopen", "grant_extension", "escalate")
HOLDING_ACTIONS = ("assign", "reassign", "escalate")
NO_VILLAGE, NO_CADRE, NO_CATEGORY = "（未定村）", "（未派单）", "（未分类）"
TIER_NAMES = {"village": "村级调解", "district": "片区调解", "centre": "镇综治中心"}


# --- portable SQL pieces -----------------------------------------------------------------------


class hours_between(FunctionElement):
    """Hours from the first instant to the second, on SQLite and PostgreSQL alike."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between)
def _hours_default(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def unindexed(column):
    """The column's value in a form no index matches (`col || ''`), to steer SQLite's planner away
    from an index that would scan a whole kind or state; the same SQL on PostgreSQL."""
    return column + ""


def flag(condition):
    return case((condition, 1), else_=0)


def bucket_of(column, edges: Sequence[datetime]):
    """Which [edges[i], edges[i+1]) holds the value; the caller keeps rows within [edges[0], edges[-1])."""
    if len(edges) == 2:
        return literal(0)
    return case(*[(column < edge, i) for i, edge in enumerate(edges[1:-1])], else_=len(edges) - 2)


class utc_instant(FunctionElement):
    """An ISO 8601 UTC time kept in the history's JSON, comparable with the stored datetime columns."""

    type = UTCDateTime()
    inherit_cache = True
    name = "utc_instant"


@compiles(utc_instant, "sqlite")
def _instant_sqlite(element, compiler, **kw):
    # SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text: write the JSON time so.
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strftime('%Y-%m-%d %H:%M:%S', {value}) || '.000000')"


@compiles(utc_instant)
def _instant_default(element, compiler, **kw):
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(CAST({value} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"


DUE_CHANGES = ("grant_extension", RECOUNT)  # the events that move a due time, recording the previous one


def due_as_of(moment):
    """The order's due time as it stood at `moment`: an extension granted later, or a recount after a later
    change of the holiday calendar, does not count.

    Cases never extended nor recounted use cases.due_at. Otherwise, when the due time moved after `moment`,
    the due time then is the `previous_due_at` that the first such event recorded."""
    ev = aliased(CaseEvent)
    replaced = (
        select(utc_instant(ev.data["previous_due_at"].as_string()))
        .where(ev.case_id == Case.id, ev.action.in_(DUE_CHANGES), ev.at > moment)
        .order_by(ev.at, ev.id)
        .limit(1)
        .scalar_subquery()
    )
    moved = or_(Case.extension_count > 0, Case.id.in_(recounted_cases()))
    return case((moved, func.coalesce(replaced, Case.due_at)), else_=Case.due_at)


def recounted_cases():
    """Ids of the cases whose deadlines a holiday calendar change recounted: few, read from their partial index
    (ix_case_events_recounted, whose condition the literal matches)."""
    return select(CaseEvent.case_id).where(CaseEvent.action == literal_column(f"'{RECOUNT}'"))


def cadre_at(cutoff: datetime):
    """The cadre the case was last given to (assign, reassign, escalate) before `cutoff`; NULL if none."""
    ev = aliased(CaseEvent)
    return (
        select(ev.data["assignee_id"].as_integer())
        .where(ev.case_id == Case.id, ev.action.in_(HOLDING_ACTIONS), ev.at < cutoff)
        .order_by(ev.id.desc())  # the history is appended in time order
        .limit(1)
        .scalar_subquery()
    )


def tier_at(cutoff: datetime):
    """A dispute's tier before `cutoff`: the tier of its last escalation then, else the village tier."""
    ev = aliased(CaseEvent)
    last = (
        select(ev.data["tier"].as_string())
        .where(ev.case_id == Case.id, ev.action == "escalate", ev.at < cutoff)
        .order_by(ev.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(last, "village")


def resolved_at(cutoff: datetime):
    """True when the case stood resolved at `cutoff`, from its history.

    A case resolved now with its last resolution before `cutoff` was resolved then (nothing changed
    since). Otherwise only a case reopened at some time can have been resolved at `cutoff`: it was iff
    it had more resolve than reopen events before `cutoff` (they alternate)."""
    ev = aliased(CaseEvent)
    balance = (
        select(func.coalesce(func.sum(case((ev.action == "resolve", 1), else_=-1)), 0))
        .where(ev.case_id == Case.id, ev.action.in_(("resolve", "reopen")), ev.at < cutoff)
        .scalar_subquery()
    )
    return or_(and_(Case.state == "resolved", Case.resolved_at < cutoff), and_(Case.reopen_count > 0, balance > 0))


def ack_on_time():
    """First assignment (acknowledged_at) at or before the acknowledgement deadline; without an
    ack_due_at, within STATS_ACK_WINDOW_HOURS of receipt."""
    window = float(current_app.config["STATS_ACK_WINDOW_HOURS"])
    return and_(
        Case.acknowledged_at.isnot(None),
        or_(
            and_(Case.ack_due_at.isnot(None), Case.acknowledged_at <= Case.ack_due_at),
            and_(Case.ack_due_at.is_(None), hours_between(Case.received_at, Case.acknowledged_at) <= window),
        ),
    )


def ack_pending(now: datetime):
    """Not acknowledged yet, with its acknowledgement deadline still to come at `now`: neither on time
    nor late so far, so left out of the response rate until it is one or the other."""
    window = float(current_app.config["STATS_ACK_WINDOW_HOURS"])
    within_window = hours_between(Case.received_at, literal(now, UTCDateTime)) < window
    return and_(
        Case.acknowledged_at.is_(None),
        or_(and_(Case.ack_due_at.isnot(None), Case.ack_due_at > now), and_(Case.ack_due_at.is_(None), within_window)),
    )


# --- the per-case facts of a period ------------------------------------------------------------


def _typed_null(column):
    return cast(null(), column.type)


def case_facts(kind: str, edges: Sequence[datetime], now: datetime | None = None):
    return facts_select(kind, edges, now).subquery("f")


def facts_select(kind: str, edges: Sequence[datetime], now: datetime | None = None):
    """One row per (case, bucket) with that case's flags in the bucket [edges[i], edges[i+1]).

    `now` (default: the current time) is when the figures are counted: an order whose acknowledgement
    deadline is still to come then is pending (ack_pending). Rows of the other kind may be included
    (the callers join `cases` and keep their kind)."""
    start, end = edges[0], edges[-1]
    now = now or datetime.now(UTC)
    received = select(
        Case.id.label("case_id"),
        bucket_of(Case.received_at, edges).label("b"),
        literal(1).label("received"),
        flag(ack_on_time()).label("ack_ok"),
        flag(ack_pending(now)).label("ack_pending"),
        *(literal(0).label(n) for n in ("assigned", "returned", "reopened", "extended", "escalated")),
        *(literal(0).label(n) for n in ("callbacks", "solved", "satisfied")),
        _typed_null(CaseEvent.at).label("resolve_at"),
        _typed_null(CaseEvent.id).label("resolve_id"),
    ).where(Case.received_at >= start, Case.received_at < end)
    action = CaseEvent.action
    in_period = and_(CaseEvent.at >= start, CaseEvent.at < end)
    if kind == "dispute":  # few disputes among many orders: reach them and their history by their kind
        received = received.where(Case.kind == "dispute")
        in_period = and_(in_period, CaseEvent.case_id.in_(select(Case.id).where(Case.kind == "dispute")))
    # For orders the kind is checked by the caller's join: an equality on kind here would lead SQLite
    # to scan ix_cases_kind_state_received for the whole kind.
    # Two branches: the actions read from the index (at, action, case_id) alone, and the callbacks,
    # the only events whose data (solved, satisfaction) is needed.
    events = select(
        CaseEvent.case_id,
        bucket_of(CaseEvent.at, edges),
        literal(0),
        literal(0),
        literal(0),
        flag(action == "assign"),
        flag(action == "return"),
        flag(action == "reopen"),
        flag(action == "grant_extension"),
        flag(action == "escalate"),
        literal(0),
        literal(0),
        literal(0),
        case((action == "resolve", CaseEvent.at)),
        case((action == "resolve", CaseEvent.id)),
    ).where(in_period, action.in_(FLOW_ACTIONS))
    cb = aliased(CaseEvent)  # found in the index (at, action, case_id); only callbacks are then read
    callbacks = select(
        CaseEvent.case_id,
        bucket_of(CaseEvent.at, edges),
        *(literal(0) for _ in range(8)),
        literal(1),
        flag(CaseEvent.data["solved"].as_boolean()),
        flag(CaseEvent.data["satisfaction"].as_string().in_(("satisfied", "basic"))),
        _typed_null(CaseEvent.at),
        _typed_null(CaseEvent.id),
    ).where(CaseEvent.id.in_(select(cb.id).where(cb.at >= start, cb.at < end, cb.action == "callback")))
    branches = (received, events) if kind == "dispute" else (received, events, callbacks)  # callbacks: hotline
    u = union_all(*branches).subquery("u")
    return select(
        u.c.case_id,
        u.c.b,
        *(func.max(u.c[n]).label(n) for n in MAXED),
        *(func.sum(u.c[n]).label(n) for n in SUMMED),
    ).group_by(u.c.case_id, u.c.b)


MAXED = (
    "received",
    "ack_ok",
    "ack_pending",
    "assigned",
    "returned",
    "reopened",
    "extended",
    "escalated",
    "resolve_at",
    "resolve_id",
)
SUMMED = ("callbacks", "solved", "satisfied")


def _order_counts(f) -> dict:
    """The hotline sums over per-case facts `f` joined with `cases`."""
    resolved = f.c.resolve_at.isnot(None)
    due = due_as_of(f.c.resolve_at)
    on_time = and_(resolved, or_(due.is_(None), f.c.resolve_at <= due))
    return {
        "received": func.sum(f.c.received),
        "ack_due": func.sum(f.c.received * (1 - f.c.ack_pending)),
        "ack_on_time": func.sum(f.c.received * f.c.ack_ok),
        "assigned": func.sum(f.c.assigned),
        "resolved": func.sum(flag(resolved)),
        "resolved_on_time": func.sum(flag(on_time)),
        "returned": func.sum(f.c.returned),
        "reopened": func.sum(f.c.reopened),
        "extended": func.sum(f.c.extended),
        "callbacks": func.sum(f.c.callbacks),
        "callbacks_solved": func.sum(f.c.solved),
        "callbacks_satisfied": func.sum(f.c.satisfied),
    }


def order_year_query(edges: Sequence[datetime], dims: Sequence[str], now: datetime | None = None):
    """The year in one pass over its history: per month (b = 0..11, no dimensions) and for the whole
    year (b = -1, per combination of `dims`, each case once however many months it was active in).

    The per-(case, month) facts are a CTE read twice; SQLite and PostgreSQL materialise such a CTE."""
    fm = facts_select("order", edges, now).cte("fm")
    monthly = (
        select(fm.c.b.label("b"), *(null().label(d) for d in dims), *(c.label(n) for n, c in _order_counts(fm).items()))
        .join_from(fm, Case, Case.id == fm.c.case_id)
        .where(Case.kind == "order")
        .group_by(fm.c.b)
    )
    fy = (
        select(
            fm.c.case_id,
            *(func.max(fm.c[n]).label(n) for n in MAXED),
            *(func.sum(fm.c[n]).label(n) for n in SUMMED),
        )
        .group_by(fm.c.case_id)
        .subquery("fy")
    )
    dim_columns = _dim_columns(dims, edges[-1])
    yearly = (
        select(literal(-1).label("b"), *dim_columns, *(c.label(n) for n, c in _order_counts(fy).items()))
        .join_from(fy, Case, Case.id == fy.c.case_id)
        .where(Case.kind == "order")
        .group_by(*dim_columns)
    )
    return union_all(monthly, yearly)


def order_flow_query(edges: Sequence[datetime], dims: Sequence[str], now: datetime | None = None):
    """Hotline flow counts per bucket and per combination of `dims`, counted at `now` (default: now)."""
    f = case_facts("order", edges, now)
    counts = _order_counts(f)
    keys = [f.c.b.label("b"), *_dim_columns(dims, edges[-1])]
    stmt = select(*keys, *(c.label(n) for n, c in counts.items())).join_from(f, Case, Case.id == f.c.case_id)
    return stmt.where(Case.kind == "order").group_by(*keys)


def open_candidates(cutoff: datetime):
    """Ids of every case that may have been open past its due time at `cutoff`, found through indexes:
    open now and due before `cutoff`; resolved after `cutoff` and due before it; or given an extension
    after `cutoff` (its due time then was earlier than today's)."""
    open_now = select(Case.id).where(Case.state.in_(("received", "assigned")), Case.due_at < cutoff)
    resolved_later = select(Case.id).where(
        unindexed(Case.state) == "resolved", Case.resolved_at >= cutoff, Case.due_at < cutoff
    )  # through ix_cases_resolved: resolved since the cutoff
    extended_later = select(CaseEvent.case_id).where(CaseEvent.action == "grant_extension", CaseEvent.at > cutoff)
    return union_all(open_now, resolved_later, extended_later)


def order_stock_query(cutoff: datetime, dims: Sequence[str]):
    """Orders open past their due time at `cutoff`, per combination of `dims`."""
    dim_columns = _dim_columns(dims, cutoff)
    stmt = select(literal(0).label("b"), *dim_columns, func.count().label("open_past_due"))
    stmt = stmt.where(
        Case.id.in_(open_candidates(cutoff)),
        unindexed(Case.kind) == "order",  # reach the candidates by id, not through an index on kind
        Case.received_at < cutoff,
        ~resolved_at(cutoff),
        due_as_of(cutoff) < cutoff,
    )
    return stmt.group_by(*dim_columns) if dim_columns else stmt


def dispute_query(edges: Sequence[datetime], dims: Sequence[str]):
    """Dispute counts per bucket and per combination of `dims` (outcome of the last resolution)."""
    f = case_facts("dispute", edges)
    last = aliased(CaseEvent)
    outcome = last.data["outcome"].as_string()
    counts = {
        "received": func.sum(f.c.received),
        "concluded": func.sum(flag(f.c.resolve_id.isnot(None))),
        "settled": func.sum(flag(outcome == "settled")),
        "failed": func.sum(flag(outcome == "failed")),
        "withdrawn": func.sum(flag(outcome == "withdrawn")),
        "mediated": func.sum(flag(outcome.in_(("settled", "failed")))),
        "escalated": func.sum(f.c.escalated),
    }
    keys = [f.c.b.label("b"), *_dim_columns(dims, edges[-1])]
    stmt = (
        select(*keys, *(c.label(n) for n, c in counts.items()))
        .join_from(f, Case, Case.id == f.c.case_id)
        .outerjoin(last, last.id == f.c.resolve_id)
    )
    return stmt.where(Case.kind == "dispute").group_by(*keys)


def _dim_columns(dims: Sequence[str], cutoff: datetime) -> list:
    columns = {
        "village": lambda: Case.village_id,
        "category": lambda: Case.category,
        "request_type": lambda: Case.request_type,
        "cadre": lambda: cadre_at(cutoff),
        "tier": lambda: tier_at(cutoff),
    }
    return [columns[d]().label(d) for d in dims]


# --- from rows of counts to tables -------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    @property
    def text(self) -> str:
        """'85.7%' or '—' when there is nothing to divide by."""
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


@dataclass
class Counts:
    """Counts of one group (or the total) and the rates made from them."""

    values: dict[str, int]
    rate_defs: dict[str, tuple[str, str]]

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def rate(self, name: str) -> Rate:
        num, den = self.rate_defs[name]
        return Rate(self.values[num], self.values[den])

    @property
    def rates(self) -> dict[str, Rate]:
        return {name: self.rate(name) for name in self.rate_defs}


@dataclass
class Table:
    """A breakdown: one row per group (label, Counts), sorted by label, and the total."""

    dim: str
    rows: list[tuple[str, Counts]] = field(default_factory=list)
    total: Counts | None = None


def fetch(stmt) -> list[dict]:
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def rollup(rows: list[dict], names: Sequence[str], key: Sequence[str]) -> dict[tuple, dict[str, int]]:
    """Sum the per-combination counts by `key` (a subset of the dimensions)."""
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    for row in rows:
        target = sums[tuple(row[k] for k in key)]
        for name in names:
            target[name] += int(row.get(name) or 0)
    return sums


def counts_of(values: dict[str, int] | None, names: Sequence[str], rate_defs) -> Counts:
    return Counts(dict(values) if values else dict.fromkeys(names, 0), rate_defs)


def table(rows, dim: str, names, rate_defs, labels: dict) -> Table:
    """The breakdown by one dimension, labelled and sorted, with the total of all rows."""
    groups = rollup(rows, names, [dim])
    labelled = [(labels.get(k[0]) or _missing(dim, k[0]), counts_of(v, names, rate_defs)) for k, v in groups.items()]
    labelled.sort(key=lambda item: (item[0].startswith("（"), item[0]))
    total = counts_of(rollup(rows, names, []).get((), None), names, rate_defs)
    return Table(dim, labelled, total)


def _missing(dim: str, key) -> str:
    if dim == "village":
        return NO_VILLAGE
    if dim == "cadre":
        return NO_CADRE if key is None else f"#{key}"
    if dim == "tier":
        return TIER_NAMES.get(key, str(key))
    return str(key) if key else NO_CATEGORY


def total_of(rows, names, rate_defs) -> Counts:
    return counts_of(rollup(rows, names, []).get(()), names, rate_defs)


def tables_of(rows, dims, names, rate_defs) -> dict[str, Table]:
    return {d: table(rows, d, names, rate_defs, labels_for(d, rows)) for d in dims}


def labels_for(dim: str, rows: list[dict]) -> dict:
    """Names for the keys of a dimension: villages and cadres looked up, the rest are their own label."""
    keys = {r[dim] for r in rows if r.get(dim) is not None}
    if dim == "village" and keys:
        return dict(db.session.execute(select(Village.id, Village.name).where(Village.id.in_(keys))).all())
    if dim == "cadre" and keys:
        return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(keys))).all())
    if dim == "tier":
        return dict(TIER_NAMES)
    return {k: k for k in keys}
