"""Helpers every bench shares: the million-order database, timing, peak memory, and one way to print.

Figures are printed beside a floor measured in the same run (e.g. the bare SQL behind a page) and the
ratio, so that a slow machine and a slow page can be told apart.
"""

import contextlib
import fcntl
import gc
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"  # gitignored


def out_dir() -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUT_DIR


# --- the benchmark database -------------------------------------------------------------------


def million_orders_db(n: int = 1_000_000, url: str | None = None) -> str:
    """A database URL holding at least `n` hotline orders on top of the demo township.

    Default: the SQLite file bench/out/orders-<n>.db, migrated and loaded once with
    `flask --app wsgi demo-data --orders`, and reused by later runs once it holds `n` orders.
    With `url` (e.g. PostgreSQL from --database-url) that database is migrated and topped up to `n`.
    An interrupted load is completed, not restarted: demo-data commits batch by batch. A file lock
    in bench/out/ makes a second bench started meanwhile wait for the first one's load.
    """
    if url is None:
        url = f"sqlite:///{out_dir() / f'orders-{n}.db'}"
    with open(out_dir() / f"load-{_slug(url)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two benches started together: one loads, the other waits
        return _load_orders(n, url)


def _load_orders(n: int, url: str) -> str:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SCHEDULER": "off"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    # Also when reusing: a database loaded before a new migration gets it (quietly, when there is none).
    upgrade = subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
    if upgrade.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed on {_safe(url)}:\n{upgrade.stderr}")
    have = count_orders(url)
    if have >= n:
        print(f"benchmark database: {_safe(url)} ({have:,} orders, reused)", flush=True)
        return url
    print(f"benchmark database: {_safe(url)} has {have:,} orders; loading {n - have:,} more", flush=True)
    logins = out_dir() / f"logins-{_slug(url)}.txt"  # never the real instance/demo-logins.txt
    started = time.perf_counter()
    subprocess.run(
        [*flask, "demo-data", "--orders", str(n - have), "--logins-file", str(logins)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def count_orders(url: str) -> int:
    """Hotline orders in the database at `url`; 0 when it has no schema yet."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM cases WHERE kind = 'order'")) or 0
    except DBAPIError:
        return 0
    finally:
        engine.dispose()


def bench_app(url: str, **config):
    """The real app on `url`, as `make run` builds it, with CSRF off so the test client can post."""
    from casework import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "SCHEDULER": "off", **config})


def login_client(app, username: str):
    """A test client whose session is that of `username` (set as Flask-Login does, no password needed)."""
    from sqlalchemy import select

    from casework.extensions import db
    from casework.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise LookupError(f"no user {username} in the benchmark database")
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


# --- measuring ----------------------------------------------------------------------------------


def timed(fn: Callable[[], object], repeat: int = 20, warmup: int = 1) -> tuple[float, float]:
    """(median, p95) wall-clock seconds of `repeat` calls of fn, after `warmup` untimed calls.

    p95 is the nearest-rank 95th percentile (with 20 calls: the second slowest).
    """
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return _median_p95(samples)


def peak_memory(fn: Callable[[], object]) -> tuple[float, int]:
    """(seconds, peak_bytes) of one call of fn, run in a forked child process.

    peak_bytes is the child's peak resident set size (VmHWM in /proc/self/status) while fn ran:
    the whole process, so memory allocated in C by SQLite, psycopg, lxml or openpyxl counts, which
    tracemalloc would miss. Before fn starts the peak is reset to the current RSS (writing 5 to
    /proc/self/clear_refs), so the figure is what the process really held at its worst: the
    interpreter and the modules already imported (see `baseline_rss()`), plus everything fn needed.
    Where clear_refs is unavailable the figure is ru_maxrss, which may also include the parent's
    earlier peak. Connections inherited from the parent are dropped in the child (never shared).
    fn's return value is discarded; an exception in fn is raised here as RuntimeError.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, and leave without cleanup
        os.close(read_end)
        try:
            _forget_inherited_connections()
            _reset_peak_rss()
            started = time.perf_counter()
            fn()
            payload = {"seconds": time.perf_counter() - started, "peak": _peak_rss()}
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            payload = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(payload))
        sys.stdout.flush()
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    result = json.loads(data) if data else {"error": "the measuring process died without a word"}
    if "error" in result:
        raise RuntimeError(f"peak_memory: fn failed in the child:\n{result['error']}")
    return result["seconds"], result["peak"]


def baseline_rss() -> int:
    """This process's resident set size now, in bytes (what a forked child starts with)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _forget_inherited_connections() -> None:
    """SQLAlchemy's advice after fork: drop the parent's pooled connections without closing them."""
    for obj in gc.get_objects():
        if isinstance(obj, Engine):
            obj.dispose(close=False)


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


# --- printing -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms" if seconds < 10 else f"{seconds:8.1f} s "


def mb(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:7.1f} MB"


def timed_against(fn: Callable[[], object], floor: Callable[[], object], repeat: int = 5):
    """(figure, floor, ratio): fn and its floor timed in alternation, `repeat` pairs after one warm-up of
    each, so that both meet the same load on a shared machine; the ratio is the median of the pairs'
    ratios, which a burst of load on one pair cannot move much."""
    fn()
    floor()
    mine, base = [], []
    for _ in range(max(1, repeat)):
        for run, samples in ((floor, base), (fn, mine)):
            started = time.perf_counter()
            run()
            samples.append(time.perf_counter() - started)
    ratio = statistics.median(m / b for m, b in zip(mine, base, strict=True) if b > 0)
    return _median_p95(mine), _median_p95(base), ratio


def _median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def report(label: str, figure: tuple[float, float], floor: tuple[float, float] | None = None, ratio=None) -> None:
    """One line: the figure's median and p95, the floor's, and the ratio of the medians."""
    line = f"{label:<34} {ms(figure[0])} median {ms(figure[1])} p95"
    if floor is not None:
        if ratio is None:
            ratio = figure[0] / floor[0] if floor[0] > 0 else float("inf")
        line += f" | floor {ms(floor[0])} median {ms(floor[1])} p95 | ratio {ratio:6.1f}x"
    print(line, flush=True)


def describe_environment(args) -> str:
    url = getattr(args, "database_url", None) or "sqlite file in bench/out/"
    return (
        f"Casework bench: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()} {os.cpu_count()} CPUs; orders {args.orders:,}; database {_safe(url)}"
    )


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a description, never an error
        return url


def _slug(url: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in _safe(url))[-80:]


# --- the floor: the SQL a render or an export sent, sent again on its own ---------------------------


@dataclass
class Statement:
    sql: str
    params: object


class Recorder:
    """Keeps every statement the app sends while capturing (the DB-API form: SQL text and parameters)."""

    def __init__(self, engine):
        self.on = False
        self.statements: list[Statement] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append(Statement(statement, parameters))

    def capture(self, fn) -> list[Statement]:
        self.statements, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return self.statements


def replay(engine, statements: list[Statement]):
    """A function that sends these statements straight to a DB-API cursor and fetches every row."""

    def run():
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for s in statements:
                cursor.execute(s.sql, s.params)
                cursor.fetchall()
            cursor.close()
            raw.rollback()
        finally:
            raw.close()

    return run


def explain(engine, statement: Statement) -> str:
    """The database's plan of `statement`, one indented line per step (SQLite's EXPLAIN QUERY PLAN details)."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement.sql, statement.params)
        rows = cursor.fetchall()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"      {row[-1]}" for row in rows)
    return "\n".join(f"      {row[0]}" for row in rows)
