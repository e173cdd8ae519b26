"""The counting itself: GROUP BY queries over cases and their history, one pass per period.

How a period is counted (docs/statistics.md says the same in words):
- flows (received, assigned, resolved, returned, reopened, extended, callbacks, escalated, outcomes)
  come from `cases.received_at` and from the history events whose time falls in the period;
- stocks (orders open past their due time) are the state at the period's end, rebuilt from the history;
- each case gives one row of flags per period; the flags are summed per combination of the dimensions
  (village, category, request type, cadre / tier), and the overview and every breakdown are sums of
  those per-combination counts, so that they always add up.
Nothing here loads cases into Python: the database returns one row per combination.
The figures carry keys, not words: a breakdown's row is a Group (the dimension's value and its name in the
data), named for the reader where it is shown (labels.py on the pages, definitions.py in the exports).
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Float, and_, case, cast, func, literal, literal_column, null, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from ..extensions import db
from ..models import TIERS, Case, CaseEvent, User, UTCDateTime, Village
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


# --- portable SQL pieces -----------------------------------------------------------------------


class PortableFunction(FunctionElement):
    """A SQL function written one way for SQLite (`sqlite`) and another for PostgreSQL (`postgresql`), each a
    template naming the function's arguments {0}, {1}, …"""

    inherit_cache = True
    sqlite: str
    postgresql: str


@compiles(PortableFunction, "sqlite")
def _portable_sqlite(element, compiler, **kw):
    return element.sqlite.format(*(compiler.process(c, **kw) for c in element.clauses))


@compiles(PortableFunction)
def _portable_default(element, compiler, **kw):
    return element.postgresql.format(*(compiler.process(c, **kw) for c in element.clauses))


class hours_between(PortableFunction):
    """Hours from the first instant to the second, on SQLite and PostgreSQL alike."""

    type, name = Float(), "hours_between"
    inherit_cache = True
    sqlite = "((julianday({1}) - julianday({0})) * 24.0)"
    postgresql = "(EXTRACT(EPOCH FROM ({1} - {0})) / 3600.0)"


class utc_instant(PortableFunction):
    """An ISO 8601 UTC time kept in the history's JSON, comparable with the stored datetime columns.

    SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the JSON time is written so."""

    type, name = UTCDateTime(), "utc_instant"
    inherit_cache = True
    sqlite = "(strftime('%Y-%m-%d %H:%M:%S', {0}) || '.000000')"
    postgresql = "CAST(CAST({0} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"


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


@dataclass(frozen=True)
class Fact:
    """A per-case fact of a bucket: how the case's rows there make it (`combine`: the max of a flag, the sum of
    a count) and what a UNION branch that does not know the fact gives in its place (`absent`)."""

    combine: Callable
    absent: Callable[[], ColumnElement] = lambda: literal(0)


def _typed_null(column) -> Callable[[], ColumnElement]:
    return lambda: cast(null(), column.type)


FLAG_FACTS = ("received", "ack_ok", "ack_pending", "assigned", "returned", "reopened", "extended", "escalated")
FACTS = {
    **dict.fromkeys(FLAG_FACTS, Fact(func.max)),
    **dict.fromkeys(("callbacks", "solved", "satisfied"), Fact(func.sum)),
    # The bucket's last resolution (the history is appended in time order), NULL when there is none.
    "resolve_at": Fact(func.max, _typed_null(CaseEvent.at)),
    "resolve_id": Fact(func.max, _typed_null(CaseEvent.id)),
}


def _branch(case_id, at, edges: Sequence[datetime], **known: ColumnElement):
    """A UNION branch of facts_select: the case, the bucket of its time `at`, and every fact by name, the
    ones `known` to this branch as given, the others as absent."""
    if not known.keys() <= FACTS.keys():
        raise ValueError(f"not a fact: {sorted(known.keys() - FACTS.keys())}")
    facts = [(known[n] if n in known else fact.absent()).label(n) for n, fact in FACTS.items()]
    return select(case_id.label("case_id"), bucket_of(at, edges).label("b"), *facts)


def _combined(rows) -> list:
    """Each fact over the grouped `rows` (a subquery's columns), combined as the fact says, under its name."""
    return [fact.combine(rows.c[n]).label(n) for n, fact in FACTS.items()]


def case_facts(kind: str, edges: Sequence[datetime], now: datetime | None = None):
    return facts_select(kind, edges, now).subquery("f")


def facts_select(kind: str, edges: Sequence[datetime], now: datetime | None = None):
    """One row per (case, bucket) with that case's FACTS in the bucket [edges[i], edges[i+1]).

    `now` (default: the current time) is when the figures are counted: an order whose acknowledgement
    deadline is still to come then is pending (ack_pending). Rows of the other kind may be included
    (the callers join `cases` and keep their kind)."""
    branches = [_received_facts(kind, edges, now or datetime.now(UTC)), _action_facts(kind, edges)]
    if kind != "dispute":  # callbacks are the hotline's
        branches.append(_callback_facts(edges))
    u = union_all(*branches).subquery("u")
    return select(u.c.case_id, u.c.b, *_combined(u)).group_by(u.c.case_id, u.c.b)


def _received_facts(kind: str, edges: Sequence[datetime], now: datetime):
    """The cases received in the period, with their acknowledgement."""
    received = _branch(
        Case.id,
        Case.received_at,
        edges,
        received=literal(1),
        ack_ok=flag(ack_on_time()),
        ack_pending=flag(ack_pending(now)),
    ).where(Case.received_at >= edges[0], Case.received_at < edges[-1])
    # For orders the kind is checked by the caller's join: an equality on kind here would lead SQLite
    # to scan ix_cases_kind_state_received for the whole kind.
    return received.where(Case.kind == "dispute") if kind == "dispute" else received


def _action_facts(kind: str, edges: Sequence[datetime]):
    """The actions of the period, read from the index (at, action, case_id) alone."""
    action = CaseEvent.action
    in_period = and_(CaseEvent.at >= edges[0], CaseEvent.at < edges[-1])
    if kind == "dispute":  # few disputes among many orders: reach their history by their kind
        in_period = and_(in_period, CaseEvent.case_id.in_(select(Case.id).where(Case.kind == "dispute")))
    return _branch(
        CaseEvent.case_id,
        CaseEvent.at,
        edges,
        assigned=flag(action == "assign"),
        returned=flag(action == "return"),
        reopened=flag(action == "reopen"),
        extended=flag(action == "grant_extension"),
        escalated=flag(action == "escalate"),
        resolve_at=case((action == "resolve", CaseEvent.at)),
        resolve_id=case((action == "resolve", CaseEvent.id)),
    ).where(in_period, action.in_(FLOW_ACTIONS))


def _callback_facts(edges: Sequence[datetime]):
    """The period's callbacks, the only events whose data (solved, satisfaction) is read."""
    cb = aliased(CaseEvent)  # found in the index (at, action, case_id); only callbacks are then read
    callback_ids = select(cb.id).where(cb.at >= edges[0], cb.at < edges[-1], cb.action == "callback")
    return _branch(
        CaseEvent.case_id,
        CaseEvent.at,
        edges,
        callbacks=literal(1),
        solved=flag(CaseEvent.data["solved"].as_boolean()),
        satisfied=flag(CaseEvent.data["satisfaction"].as_string().in_(("satisfied", "basic"))),
    ).where(CaseEvent.id.in_(callback_ids))


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
            *_combined(fm),
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
    open_now = select(Case.id).where(Case.overdue_at(cutoff))
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


@dataclass(frozen=True)
class Group:
    """Whose counts a breakdown row holds: the dimension's value (`key`: a village's or cadre's id, a category,
    a request type, a tier) and its name in the data (the village's or cadre's name, else the value itself);
    `name` is None for the cases that have no value. The words a group is shown by are added where it is
    shown (labels.py on the pages, definitions.py in the exports)."""

    key: int | str | None
    name: str | None

    @property
    def known(self) -> bool:
        return self.name is not None


@dataclass
class Table:
    """A breakdown: one row per group (Group, Counts), in the dimension's order (by_key), and the total."""

    dim: str
    rows: list[tuple[Group, Counts]] = field(default_factory=list)
    total: Counts | None = None


@dataclass
class PeriodFigures:
    """A period's hotline and dispute figures, counted at `generated_at`: totals and breakdowns."""

    township: str
    timezone: str
    generated_at: datetime
    orders: Counts
    order_tables: dict[str, Table]  # by dimension
    disputes: Counts
    dispute_tables: dict[str, Table]


def counted(order_rows: list[dict], dispute_rows: list[dict], order_dims, dispute_dims) -> dict:
    """PeriodFigures' totals and breakdowns from a period's rows of counts per combination of the dimensions."""
    return {
        "orders": total_of(order_rows, ORDER_COUNTS, ORDER_RATES),
        "order_tables": tables_of(order_rows, order_dims, ORDER_COUNTS, ORDER_RATES),
        "disputes": total_of(dispute_rows, DISPUTE_COUNTS, DISPUTE_RATES),
        "dispute_tables": tables_of(dispute_rows, dispute_dims, DISPUTE_COUNTS, DISPUTE_RATES),
    }


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


def table(rows, dim: str, names, rate_defs) -> Table:
    """The breakdown by one dimension, its groups named from the data and in order, with the total of all rows."""
    groups = rollup(rows, names, [dim])
    known = names_of(dim, {k[0] for k in groups if k[0] is not None})
    grouped = [(Group(k[0], known.get(k[0]) or None), counts_of(v, names, rate_defs)) for k, v in groups.items()]
    grouped.sort(key=lambda item: by_key(dim, item[0]))
    return Table(dim, grouped, total_of(rows, names, rate_defs))


def by_key(dim: str, group: Group) -> tuple:
    """Where a group stands in its breakdown: the tiers from the village up, the others by name, the cases
    without a value last."""
    if dim == "tier":
        return (TIERS.index(group.key) if group.key in TIERS else len(TIERS), str(group.key))
    return (not group.known, group.name or "")


def total_of(rows, names, rate_defs) -> Counts:
    return counts_of(rollup(rows, names, []).get(()), names, rate_defs)


def tables_of(rows, dims, names, rate_defs) -> dict[str, Table]:
    return {d: table(rows, d, names, rate_defs) for d in dims}


def names_of(dim: str, keys: set) -> dict:
    """The data's names for the keys of a dimension: villages and cadres looked up (a cadre no longer on the
    books by their id, #7), the other values are their own names."""
    if dim == "village" and keys:
        return dict(db.session.execute(select(Village.id, Village.name).where(Village.id.in_(keys))).all())
    if dim == "cadre" and keys:
        found = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(keys))).all())
        return {k: found.get(k) or f"#{k}" for k in keys}
    return {k: k for k in keys}
