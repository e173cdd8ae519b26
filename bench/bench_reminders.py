"""The reminder run (issue 11 §2, 黄牌 / 红牌) over a million orders.

- The first run: every reminder due now is sent (on SQLite in a copy of the benchmark database, so that the
  other benches keep theirs; on PostgreSQL in place, its reminders and their notices deleted afterwards).
  Timed once, with its counts and the time per reminder.
- The run every 15 minutes after it, which finds nothing new: timed against its floor, the SQL it sent
  replayed straight to the DB-API cursor (rows fetched) in alternation with it. Its candidate queries' plans
  are printed: they must use ix_cases_state_due / ix_cases_state_ack_due and the reminders' unique key.

    python -m bench --only reminders
    python -m bench --only reminders --database-url postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench
"""

import sqlite3
import time

from sqlalchemy import delete
from sqlalchemy.engine import make_url

from bench.common import Recorder, bench_app, explain, million_orders_db, ms, out_dir, replay, report, timed_against


def run(args) -> None:
    url = _working_copy(million_orders_db(args.orders, args.database_url))
    app = bench_app(url)
    with app.app_context():
        from casework import reminders
        from casework.extensions import db
        from casework.models import utcnow

        now = utcnow()
        try:
            _first_run(reminders, now)
            recorder = Recorder(db.engine)
            statements = recorder.capture(lambda: reminders.send_reminders(now))
            steady, floor, ratio = timed_against(lambda: reminders.send_reminders(now), replay(db.engine, statements))
            report(f"a run with nothing new ({len(statements)} stmts)", steady, floor, ratio)
            _plans(db.engine, statements)
        finally:
            if url == args.database_url:
                _forget_reminders(db)


def _first_run(reminders, now) -> None:
    started = time.perf_counter()
    counts = reminders.send_reminders(now)
    took = time.perf_counter() - started
    sent = sum(counts[k] for k in reminders.KINDS)
    print(f"first run: {ms(took)} for {sent:,} reminders, {counts['notices']:,} notices ({counts})", flush=True)
    if sent:
        print(f"    {ms(took / sent)} per reminder (its row, its notices and their deliveries)", flush=True)


def _working_copy(url: str) -> str:
    """A copy of a SQLite benchmark database (made afresh with SQLite's backup); any other database as it is."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    copy = out_dir() / "reminders-work.db"
    copy.unlink(missing_ok=True)
    with sqlite3.connect(parsed.database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def _plans(engine, statements) -> None:
    for s in statements:
        if s.sql.lstrip().upper().startswith("SELECT") and "reminders_sent" in s.sql:
            print("    plan:", explain(engine, s), sep="\n")


def _forget_reminders(db) -> None:
    """Leave a database used in place as it was: its reminders and the notices they wrote deleted."""
    from casework.models import Notification, ReminderSent
    from casework.reminders import KINDS

    db.session.rollback()
    db.session.execute(delete(Notification).where(Notification.kind.in_(KINDS)))
    db.session.execute(delete(ReminderSent))
    db.session.commit()
