"""Statistics with a million orders (issue 4 §7): the monthly export in each format and the yearly summary.

For each: median and p95 time, and the peak memory of one run in a forked process. Beside it, the
floor measured in the same run: the bare SQL aggregation queries that the figures send, captured
from the engine and sent again straight to the DB-API cursor (rows fetched, nothing else). The XLSX
export also lists the month's orders, so its floor adds the bare order-list query (all rows fetched,
times already written as local text by the database): the least any export of that list must pay.
Its ratio to the aggregation alone is printed too. Each export and its floor are timed in alternation
and the ratio is the median of the pairs' ratios, so that load from elsewhere on the machine meets both.

    python -m bench --only stats                    # 1,000,000 orders on SQLite
    python -m bench --only stats --orders 100000    # quicker
    python -m bench --only stats --stats-month 2026-10 --stats-year 2026
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade

from bench.common import (
    Recorder,
    baseline_rss,
    bench_app,
    mb,
    million_orders_db,
    ms,
    peak_memory,
    replay,
    report,
    timed_against,
)

MEMORY_LIMIT_MB = 300
RATIO_AIM = 1.5


def add_arguments(parser) -> None:
    parser.add_argument("--stats-month", default=None, help="stats: the month to export (default: last month)")
    parser.add_argument("--stats-year", default=None, help="stats: the year to summarise (default: this year)")
    parser.add_argument("--stats-repeat", type=int, default=3, help="stats: timed repetitions (default 3)")


def run(args) -> None:
    url = million_orders_db(args.orders, args.database_url)
    app = bench_app(url)
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as tmp, app.app_context():
        _measure(args, app, Path(tmp))


def _measure(args, app, out: Path) -> None:
    from casework.clock import zone_name
    from casework.extensions import db
    from casework.stats import exporters, monthly, periods, yearly

    upgrade()  # a database loaded before migration 0003 gets the statistics index (once)
    tz = zone_name(app.config)
    month = periods.parse_month(args.stats_month) if args.stats_month else _last_month(tz)
    year = periods.parse_year(args.stats_year) if args.stats_year else periods.current_month(tz).year
    recorder = Recorder(db.engine)
    aggregation = recorder.capture(lambda: monthly.monthly_figures(month))
    listing = recorder.capture(lambda: list(monthly.month_orders(month)))
    yearly_sql = recorder.capture(lambda: yearly.yearly_summary(year))
    figures = monthly.monthly_figures(month)
    print(
        f"stats: month {month} ({figures.orders['received']:,} orders received, "
        f"{figures.orders['resolved']:,} resolved), year {year}; baseline RSS {mb(baseline_rss())}",
        flush=True,
    )
    repeat = args.stats_repeat
    floor_month = replay(db.engine, aggregation)
    floor_list = replay(db.engine, aggregation + listing)
    floor_year = replay(db.engine, yearly_sql)

    def export(fmt):
        def go():
            exporters.write_monthly(monthly.monthly_figures(month), fmt, out / f"month.{fmt}")
            db.session.remove()

        return go

    def summary(fmt):
        def go():
            exporters.write_yearly(yearly.yearly_summary(year), fmt, out / f"year.{fmt}")
            db.session.remove()

        return go

    cases = [
        (f"export-month {month} csv", export("csv"), floor_month, "month aggregation SQL"),
        (f"export-month {month} json", export("json"), floor_month, "month aggregation SQL"),
        (f"export-month {month} xlsx", export("xlsx"), floor_list, "aggregation + order list SQL"),
        (f"yearly-summary {year} docx", summary("docx"), floor_year, "year aggregation SQL"),
        (f"yearly-summary {year} json", summary("json"), floor_year, "year aggregation SQL"),
    ]
    for label, fn, floor, floor_name in cases:
        figure, floor_figure, ratio = timed_against(fn, floor, repeat=repeat)
        report(label, figure, floor_figure, ratio)
        seconds, peak = peak_memory(fn)
        verdict = "ok" if peak / 1_000_000 < MEMORY_LIMIT_MB else f"OVER {MEMORY_LIMIT_MB} MB"
        print(f"{'':<34} floor: {floor_name}; ratio: median of {repeat} alternating pairs", flush=True)
        print(f"{'':<34} one run in a fresh process {ms(seconds)}, peak RSS {mb(peak)} ({verdict})", flush=True)
        if "xlsx" in label:
            _, _, ratio_alone = timed_against(fn, floor_month, repeat=repeat)
            print(f"{'':<34} ratio to the aggregation SQL alone {ratio_alone:6.1f}x", flush=True)
    size = (out / "month.xlsx").stat().st_size
    print(f"stats: xlsx {size / 1_000_000:.1f} MB (aim: ratio <= {RATIO_AIM}x, < {MEMORY_LIMIT_MB} MB)")


def _last_month(tz: str):
    from casework.stats.periods import current_month

    return current_month(tz, datetime.now(UTC)).shift(-1)
