"""Many orders, fast: `demo-data --orders N` adds N generated orders over the last fourteen months with
Core bulk inserts in batches, with their history rows (receive, and assign / resolve / callback for the
orders that got that far), for the benchmarks."""

import json
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import JSON, DateTime, func, insert, select, text

from ..clock import local_zone
from ..deadlines import deadlines_for
from ..extensions import db
from ..models import Case, CaseEvent, User, Village
from .arrivals import MONTHS, months_before
from .calls import CATEGORY_WEIGHTS, CONTENT, GIVEN, PHONE_PREFIXES, RESULTS, SURNAMES, draw_call, fill

BATCH = 20_000
CASE_COLUMNS = (
    "id",
    "kind",
    "number",
    "state",
    "version",
    "received_at",
    "village_id",
    "assignee_id",
    "category",
    "content",
    "address",
    "urgency",
    "due_at",
    "ack_due_at",
    "acknowledged_at",
    "result",
    "resolved_at",
    "reopen_count",
    "extension_count",
    "created_at",
    "updated_at",
    "caller_name",
    "caller_phone",
    "request_type",
    "callback_solved",
    "callback_satisfaction",
    "callback_at",
    "source",
)
EVENT_COLUMNS = ("id", "case_id", "at", "actor_id", "action", "from_state", "to_state", "note", "data")


def add_orders(n: int, seed: int, now: datetime, echo=print) -> None:
    """Add `n` orders over the last fourteen months with bulk inserts, committing each batch.

    States as an office's books look: nearly all resolved (about half of them called back), some
    assigned (a few of those overdue), a few still received; the newest the least advanced. Each
    order gets its history rows: receive, and assign / resolve / callback as far as it went.
    Rows are built as tuples already in the database's form and sent with the driver's executemany
    through SQLAlchemy (exec_driver_sql): the ORM or per-row parameter processing would triple the time.
    """
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB: the indexes stay in memory while growing
    gen = BulkOrders(seed, now, conn.dialect)
    cases_sql, events_sql = _insert_sql(conn, Case, CASE_COLUMNS), _insert_sql(conn, CaseEvent, EVENT_COLUMNS)
    started, done = time.perf_counter(), 0
    while done < n:
        size = min(BATCH, n - done)
        cases, events = gen.batch(done, size, n)
        conn.exec_driver_sql(cases_sql, cases)
        conn.exec_driver_sql(events_sql, events)
        db.session.commit()
        conn = db.session.connection()
        done += size
        rate = done / (time.perf_counter() - started)
        echo(f"  {done:>9,} / {n:,} orders ({gen.events_written:,} events), {rate:,.0f} orders/s")
    _advance_sequences()
    db.session.commit()
    _refresh_planner_statistics(echo)
    echo(f"Added {n:,} orders in {time.perf_counter() - started:.1f} s.")


def _refresh_planner_statistics(echo=print) -> None:
    """After a bulk load PostgreSQL plans with no statistics of the new rows until autovacuum gets to
    them (minutes later, or never on a busy server): a bad plan for every statistics query meanwhile."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        echo("  ANALYZE (the planner's statistics of the loaded tables)")
        conn.exec_driver_sql("ANALYZE cases")
        conn.exec_driver_sql("ANALYZE case_events")
        db.session.commit()


def _insert_sql(conn, model, columns: tuple[str, ...]) -> str:
    """The dialect's own INSERT for these columns (placeholders, casts), taking positional rows."""
    compiled = insert(model.__table__).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        assert tuple(compiled.positiontup) == columns, compiled.positiontup
        return compiled.string
    return compiled.string % {c: "%s" for c in columns}  # pyformat -> format: rows stay tuples


class BulkOrders:
    """Rows for the cases and case_events tables, generated in time order with explicit ids."""

    def __init__(self, seed: int, now: datetime, dialect):
        self.rng = random.Random(seed ^ 0x5EED)
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as stored
        self.start = months_before(now, MONTHS).astimezone(UTC).replace(tzinfo=None)
        self.zone = local_zone()
        self.to_db = _datetime_to_db(dialect)
        self.json = JSON().dialect_impl(dialect).bind_processor(dialect) or json.dumps
        self.next_case_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
        self.next_event_id = (db.session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        self.events_written = 0
        self.villages = [
            (v.id, v.name, v.default_cadre_id, [c.id for c in v.cadres] or [v.default_cadre_id])
            for v in db.session.scalars(
                select(Village).where(Village.default_cadre_id.is_not(None)).order_by(Village.id)
            )
        ]
        names = {u.id: u.name for u in db.session.scalars(select(User))}
        self.assign_data = {
            c: self.json({"assignee": names.get(c), "assignee_id": c}) for _, _, _, cs in self.villages for c in cs
        }
        self.dispatchers = list(db.session.scalars(select(User.id).where(User.role == "dispatcher", User.active)))
        self.pool = self._text_pool()
        self.callers = [r + g for r in SURNAMES for g in GIVEN[:12]] + ["匿名"] * 40
        self.callback_data = {
            (solved, s): self.json({"solved": solved, "satisfaction": s})
            for solved in (True, False)
            for s in ("satisfied", "basic", "unsatisfied")
        }
        self.empty = self.json({})

    def _text_pool(self) -> dict[str, list[tuple[str, str]]]:
        """Some hundreds of (content, result) pairs per category, rendered once, reused by every row."""
        names = [name for _, name, _, _ in self.villages]
        r = self.rng
        return {
            category: [
                (fill(r, r.choice(CONTENT[category]), v, names), fill(r, r.choice(RESULTS[category]), v, names))
                for v in names
                for _ in range(30)
            ]
            for category in CATEGORY_WEIGHTS
        }

    def batch(self, offset: int, size: int, total: int) -> tuple[list[tuple], list[tuple]]:
        """Orders `offset` to `offset + size` of `total`, spread evenly (with jitter) from start to now."""
        span = (self.now - self.start).total_seconds()
        cases, events = [], []
        for i in range(offset, offset + size):
            received = self.start + timedelta(seconds=span * (i + self.rng.random()) / total)
            cases.append(self._order(received, events))
        self.events_written += len(events)
        return cases, events

    def _order(self, received: datetime, events: list[tuple]) -> tuple:
        r, db_time = self.rng, self.to_db
        case_id = self.next_case_id
        self.next_case_id += 1
        village_id, village_name, default_cadre, cadres = r.choice(self.villages)
        aware = received.replace(tzinfo=UTC)
        category, request_type, urgency = draw_call(r, aware, self.zone)
        content, result = r.choice(self.pool[category])
        ack_due, due = (
            d.astimezone(UTC).replace(tzinfo=None)
            for d in deadlines_for(request_type, urgency, aware, category=category)
        )
        state = self._state(received)
        self._event(events, case_id, received, None, "receive", None, "received")
        assignee = acknowledged = resolved = callback = None
        if state != "received":
            assignee = default_cadre if r.random() < 0.9 else r.choice(cadres)
            acknowledged = min(received + timedelta(minutes=r.randint(20, 360)), self.now)
            self._event(
                events,
                case_id,
                acknowledged,
                r.choice(self.dispatchers),
                "assign",
                "received",
                "assigned",
                data=self.assign_data[assignee],
            )
        if state == "resolved":
            resolved, callback = self._resolved(case_id, acknowledged, assignee, result, events)
        version = 1 + (state != "received") + (state == "resolved") + (callback is not None)
        solved, satisfaction, callback_at = callback or (None, None, None)
        number = f"GD{aware.astimezone(self.zone):%Y%m%d}{case_id:08d}"
        phone = r.choice(PHONE_PREFIXES) + f"{r.randrange(100_000_000):08d}"
        address = f"{village_name}{r.choice('一二三四五六七八')}组"
        return (
            case_id, "order", number, state, version, db_time(received), village_id, assignee, category, content,
            address, urgency, db_time(due), db_time(ack_due), db_time(acknowledged),
            result if resolved else None, db_time(resolved), 0, 0, db_time(received),
            db_time(callback_at or resolved or acknowledged or received),
            r.choice(self.callers), phone, request_type, solved, satisfaction, db_time(callback_at), "",
        )  # fmt: skip

    def _state(self, received: datetime) -> str:
        age, x = (self.now - received).total_seconds() / 86400, self.rng.random()
        if age < 1:
            return "received" if x < 0.4 else "assigned" if x < 0.9 else "resolved"
        if age < 7:
            return "received" if x < 0.05 else "assigned" if x < 0.5 else "resolved"
        return "received" if x < 0.005 else "assigned" if x < 0.04 else "resolved"

    def _resolved(self, case_id, acknowledged, assignee, result, events) -> tuple[datetime, tuple | None]:
        """The resolve event, and about half the time a callback: (resolved_at, (solved, satisfaction, at))."""
        r = self.rng
        resolved = acknowledged + timedelta(hours=r.choice((r.uniform(2, 48), r.uniform(24, 150))))
        resolved = min(resolved, self.now)
        self._event(events, case_id, resolved, assignee, "resolve", "assigned", "resolved", note=result)
        callback_at = resolved + timedelta(hours=r.uniform(20, 72))
        if callback_at >= self.now or r.random() >= 0.5:
            return resolved, None
        satisfaction = r.choices(("satisfied", "basic", "unsatisfied"), (75, 18, 7))[0]
        solved = satisfaction != "unsatisfied"
        data = self.callback_data[solved, satisfaction]
        self._event(
            events, case_id, callback_at, r.choice(self.dispatchers), "callback", "resolved", "resolved", data=data
        )
        return resolved, (solved, satisfaction, callback_at)

    def _event(self, events, case_id, at, actor_id, action, from_state, to_state, note="", data=None) -> None:
        events.append(
            (
                self.next_event_id,
                case_id,
                self.to_db(at),
                actor_id,
                action,
                from_state,
                to_state,
                note,
                data or self.empty,
            )
        )
        self.next_event_id += 1


def _datetime_to_db(dialect):
    """What the dialect makes of a naive UTC datetime; on SQLite its text, by the faster isoformat when equal."""
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    sample = datetime(2026, 1, 2, 3, 4, 5, 6789)
    if process(sample) == sample.isoformat(" ", "microseconds"):
        return lambda value: None if value is None else value.isoformat(" ", "microseconds")
    return process


def _advance_sequences() -> None:
    """PostgreSQL: ids were given explicitly, so move the id sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("cases", "case_events"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
