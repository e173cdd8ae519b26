"""Many orders, fast: `demo-data --orders N` adds N generated orders over the last fourteen months with
Core bulk inserts in batches, with their history rows (receive, and assign / resolve / callback for the
orders that got that far), for the benchmarks."""

import random
import time
from datetime import datetime, timedelta
from operator import itemgetter

from sqlalchemy import column, func, insert, select, table, text

from ..clock import local_zone
from ..extensions import db
from ..intake.ingest import order_values, stored_values
from ..models import Case, CaseEvent, User, Village
from .arrivals import MONTHS, months_before
from .calls import CATEGORY_WEIGHTS, CONTENT, GIVEN, PHONE_PREFIXES, RESULTS, SURNAMES, draw_call, fill

BATCH = 20_000


def add_orders(n: int, seed: int, now: datetime, echo=print) -> None:
    """Add `n` orders over the last fourteen months with bulk inserts, committing each batch.

    States as an office's books look: nearly all resolved (about half of them called back), some
    assigned (a few of those overdue), a few still received; the newest the least advanced. Each
    order gets its history rows: receive, and assign / resolve / callback as far as it went.
    """
    if db.session.connection().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA cache_size = -262144"))  # 256 MB: the indexes stay in memory while growing
    orders = BulkOrders(seed, now)
    started, done = time.perf_counter(), 0
    while done < n:
        size = min(BATCH, n - done)
        cases, events = orders.batch(done, size, n)
        _insert(Case.__table__, cases)
        _insert(CaseEvent.__table__, events)
        db.session.commit()
        done += size
        rate = done / (time.perf_counter() - started)
        echo(f"  {done:>9,} / {n:,} orders ({orders.events_written:,} events), {rate:,.0f} orders/s")
    _advance_sequences()
    db.session.commit()
    _refresh_planner_statistics(echo)
    echo(f"Added {n:,} orders in {time.perf_counter() - started:.1f} s.")


def _insert(into, rows: list[dict]) -> None:
    """Insert the rows, converted as intake stores its rows (stored_values), as tuples with the driver's own
    executemany (exec_driver_sql): SQLAlchemy's processing of each row's parameters would add a third to the
    time of a load."""
    conn = db.session.connection()
    columns = list(rows[0])
    compiled = insert(table(into.name, *map(column, columns))).compile(dialect=conn.dialect)
    sql = compiled.string if compiled.positional else compiled.string % {c: "%s" for c in columns}
    as_tuple = itemgetter(*columns)
    conn.exec_driver_sql(sql, [as_tuple(row) for row in stored_values(into, rows)])


def _refresh_planner_statistics(echo=print) -> None:
    """After a bulk load PostgreSQL plans with no statistics of the new rows until autovacuum gets to
    them (minutes later, or never on a busy server): a bad plan for every statistics query meanwhile."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        echo("  ANALYZE (the planner's statistics of the loaded tables)")
        conn.exec_driver_sql("ANALYZE cases")
        conn.exec_driver_sql("ANALYZE case_events")
        db.session.commit()


def _advance_sequences() -> None:
    """PostgreSQL: ids were given explicitly, so move the id sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for name in ("cases", "case_events"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))


class BulkOrders:
    """Rows for the cases and case_events tables, generated in time order with explicit ids: an order's
    columns as intake builds them (order_values), then how far it went; its 'receive' event as every one."""

    def __init__(self, seed: int, now: datetime):
        self.rng = random.Random(seed ^ 0x5EED)
        self.now, self.start, self.zone = now, months_before(now, MONTHS), local_zone()
        self.next_case_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
        self.next_event_id = (db.session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        self.events_written = 0
        self.villages = _villages()
        self.assign_data = _assign_data(self.villages)
        self.dispatchers = list(db.session.scalars(select(User.id).where(User.role == "dispatcher", User.active)))
        self.pool = self._text_pool()
        self.callers = [r + g for r in SURNAMES for g in GIVEN[:12]] + ["匿名"] * 40

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

    def batch(self, offset: int, size: int, total: int) -> tuple[list[dict], list[dict]]:
        """Orders `offset` to `offset + size` of `total`, spread evenly (with jitter) from start to now."""
        span = (self.now - self.start).total_seconds()
        cases, events = [], []
        for i in range(offset, offset + size):
            received = self.start + timedelta(seconds=span * (i + self.rng.random()) / total)
            cases.append(self._order(received, events))
        self.events_written += len(events)
        return cases, events

    def _order(self, received: datetime, events: list[dict]) -> dict:
        """One order's columns; its events appended to `events`."""
        r = self.rng
        case_id = self.next_case_id
        self.next_case_id += 1
        village_id, village_name, default_cadre, cadres = village = r.choice(self.villages)
        category, request_type, urgency = draw_call(r, received, self.zone)
        content, result = r.choice(self.pool[category])
        progress = self._progress(case_id, received, village, result, events)
        call = {
            "number": f"GD{received.astimezone(self.zone):%Y%m%d}{case_id:08d}",
            "received_at": received,
            "village_id": village_id,
            "category": category,
            "content": content,
            "caller_phone": r.choice(PHONE_PREFIXES) + f"{r.randrange(100_000_000):08d}",
            "address": f"{village_name}{r.choice('一二三四五六七八')}组",
            "caller_name": r.choice(self.callers),
            "urgency": urgency,
            "request_type": request_type,
            "deadline": None,
        }
        return {"id": case_id, **order_values(call, now=received), **progress}

    def _progress(self, case_id: int, received: datetime, village: tuple, result: str, events: list[dict]) -> dict:
        """How far the order went by now, with its events from 'receive' on: the case's columns that say so."""
        state = self._state(received)
        self._event(events, case_id, **CaseEvent.receive_values(received))
        assignee, acknowledged, resolved, callback = None, None, None, None
        if state != "received":
            assignee, acknowledged = self._assigned(case_id, received, village, events)
        if state == "resolved":
            resolved, callback = self._resolved(case_id, acknowledged, assignee, result, events)
        solved, satisfaction, callback_at = callback or (None, None, None)
        return {
            "state": state,
            "version": 1 + (state != "received") + (state == "resolved") + (callback is not None),
            "assignee_id": assignee,
            "acknowledged_at": acknowledged,
            "result": result if resolved else None,
            "resolved_at": resolved,
            "updated_at": callback_at or resolved or acknowledged or received,
            "callback_solved": solved,
            "callback_satisfaction": satisfaction,
            "callback_at": callback_at,
        }

    def _state(self, received: datetime) -> str:
        age, x = (self.now - received).total_seconds() / 86400, self.rng.random()
        if age < 1:
            return "received" if x < 0.4 else "assigned" if x < 0.9 else "resolved"
        if age < 7:
            return "received" if x < 0.05 else "assigned" if x < 0.5 else "resolved"
        return "received" if x < 0.005 else "assigned" if x < 0.04 else "resolved"

    def _assigned(self, case_id: int, received: datetime, village: tuple, events: list[dict]) -> tuple[int, datetime]:
        """派单 by a dispatcher within hours, mostly to the village's default cadre: (assignee, acknowledged_at)."""
        r = self.rng
        _, _, default_cadre, cadres = village
        assignee = default_cadre if r.random() < 0.9 else r.choice(cadres)
        acknowledged = min(received + timedelta(minutes=r.randint(20, 360)), self.now)
        dispatcher, data = r.choice(self.dispatchers), self.assign_data[assignee]
        self._event(events, case_id, acknowledged, "assign", "received", "assigned", dispatcher, data=data)
        return assignee, acknowledged

    def _resolved(self, case_id, acknowledged, assignee, result, events) -> tuple[datetime, tuple | None]:
        """The resolve event, and about half the time a callback: (resolved_at, (solved, satisfaction, at))."""
        r = self.rng
        resolved = acknowledged + timedelta(hours=r.choice((r.uniform(2, 48), r.uniform(24, 150))))
        resolved = min(resolved, self.now)
        self._event(events, case_id, resolved, "resolve", "assigned", "resolved", assignee, note=result)
        callback_at = resolved + timedelta(hours=r.uniform(20, 72))
        if callback_at >= self.now or r.random() >= 0.5:
            return resolved, None
        satisfaction = r.choices(("satisfied", "basic", "unsatisfied"), (75, 18, 7))[0]
        solved = satisfaction != "unsatisfied"
        data = {"solved": solved, "satisfaction": satisfaction}
        self._event(
            events, case_id, callback_at, "callback", "resolved", "resolved", r.choice(self.dispatchers), data=data
        )
        return resolved, (solved, satisfaction, callback_at)

    def _event(self, events, case_id, at, action, from_state, to_state, actor_id=None, note="", data=None) -> None:
        events.append(
            {
                "id": self.next_event_id,
                "case_id": case_id,
                "at": at,
                "actor_id": actor_id,
                "action": action,
                "from_state": from_state,
                "to_state": to_state,
                "note": note,
                "data": data or {},
            }
        )
        self.next_event_id += 1


def _villages() -> list[tuple[int, str, int, list[int]]]:
    """(id, name, default cadre's id, the ids of the cadres serving it) of each village with a default cadre."""
    villages = db.session.scalars(select(Village).where(Village.default_cadre_id.is_not(None)).order_by(Village.id))
    return [(v.id, v.name, v.default_cadre_id, _cadres(v)) for v in villages]


def _cadres(village: Village) -> list[int]:
    """The ids of the cadres serving the village, in a fixed order (the same seed, the same orders)."""
    return sorted(c.id for c in village.cadres) or [village.default_cadre_id]


def _assign_data(villages: list[tuple]) -> dict[int, dict]:
    """An assign event's data for each cadre who may be given an order, as the workflow records it."""
    names = {u.id: u.name for u in db.session.scalars(select(User))}
    return {c: {"assignee": names.get(c), "assignee_id": c} for _, _, _, cadres in villages for c in cadres}
