"""Importing a platform export (issue 3 §8): a 100,000-row CSV through import_inbox into a fresh database.

The figure: the whole import as the scheduler runs it (read and decode the file, check and normalise every
row, find the village and the deadlines, look up known order numbers, insert the cases and their 'receive'
events, commit, move the file). The floor, in the same run: the very rows that import stored (read back from
its database) inserted with plain sqlite3 executemany into an equivalent fresh database (same migrations,
same indexes, same pragmas) and committed. The ratio is what parsing and checking add to the bare inserts.

    python -m bench --only intake                       # 100,000 rows
    python -m bench --only intake --intake-rows 20000 --intake-repeat 1
    python -m bench --only intake --intake-profile      # where the time goes (cProfile, top 25 by own time)
"""

import csv
import random
import shutil
import sqlite3
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import bench_app, out_dir

HEADER = [
    "工单编号",
    "受理时间",
    "来电人",
    "联系电话",
    "诉求类型",
    "问题分类",
    "诉求内容",
    "事发地址",
    "所属村",
    "紧急程度",
]
VILLAGES = ["东风村", "红旗村", "向阳村", "胜利村", "前进村", "光明村", "新华村", "团结村", "和平村", "幸福村"]
TYPES = ["咨询", "求助", "投诉", "举报", "建议", "其他"]
CATEGORIES = ["道路", "环境卫生", "供水", "供暖", "劳资", "噪音", "农业", "其他"]
URGENCIES = ["一般"] * 18 + ["紧急", "特急"]


def add_arguments(parser) -> None:
    parser.add_argument("--intake-rows", type=int, default=100_000, help="intake: rows in the export file")
    parser.add_argument("--intake-repeat", type=int, default=3, help="intake: timed imports (fresh each time)")
    parser.add_argument("--intake-profile", action="store_true", help="intake: print a cProfile of one import")
    parser.add_argument("--intake-keep", action="store_true", help="intake: keep the export and databases")


def run(args) -> None:
    rows = args.intake_rows
    work = out_dir() / "intake"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    template = migrated_template(work)
    export = write_export(work / "export.csv", rows)
    print(f"export: {rows:,} rows, {export.stat().st_size / 1e6:.1f} MB (UTF-8 with BOM), 0.5% bad, 0.5% repeated")
    figures, floors = [], []
    for i in range(max(1, args.intake_repeat)):
        db_path = work / f"import-{i}.db"
        seconds, result = import_once(template, db_path, export, work / f"inbox-{i}")
        floors.append(floor_once(template, db_path, work / f"floor-{i}.db"))
        figures.append(seconds)
        print(f"  run {i + 1}: import {seconds:6.2f} s ({result}) | floor {floors[-1]:6.2f} s", flush=True)
    report(rows, statistics.median(figures), statistics.median(floors))
    if args.intake_profile:
        profile(template, export, work)
    if not args.intake_keep:
        shutil.rmtree(work, ignore_errors=True)  # a few hundred MB of databases


def migrated_template(work: Path) -> Path:
    """An empty database with the real migrations and ten villages, copied for each import and floor."""
    from flask_migrate import upgrade

    from casework.extensions import db
    from casework.models import Village

    path = work / "template.db"
    app = bench_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.session.add_all(Village(name=name) for name in VILLAGES)
        db.session.commit()
        db.engine.dispose()
    return path


def write_export(path: Path, n: int) -> Path:
    """A platform export as staff download it: Chinese headers, '2026/3/5 8:30:00' times, some bad rows."""
    rnd = random.Random(12345)
    start = datetime(2026, 3, 2, 8, 0)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(n):
            at = start + timedelta(minutes=3 * i)
            number = f"GD2026{rnd.randrange(i) if i and rnd.random() < 0.005 else i:08d}"
            village = rnd.choice(VILLAGES)
            content = (
                "" if rnd.random() < 0.005 else f"{village}{rnd.randint(1, 9)}组路灯不亮，夜间出行不便，请尽快处理。"
            )
            out.writerow(
                [
                    number,
                    f"{at.year}/{at.month}/{at.day} {at.hour}:{at.minute:02d}:00",
                    rnd.choice(["张先生", "李女士", "王某", "匿名"]),
                    f"1{rnd.randint(3, 9)}{rnd.randint(0, 99999999):09d}"[:11],
                    rnd.choice(TYPES),
                    rnd.choice(CATEGORIES),
                    content,
                    f"示范镇{village}{rnd.randint(1, 200)}号",
                    village if rnd.random() < 0.5 else "",
                    rnd.choice(URGENCIES),
                ]
            )
    return path


def import_once(template: Path, db_path: Path, export: Path, inbox: Path):
    """(seconds, result) of one import_inbox over a fresh copy of the template."""
    from casework.extensions import db
    from casework.intake.inbox import import_inbox

    shutil.copy(template, db_path)
    inbox.mkdir()
    shutil.copy(export, inbox / export.name)
    app = bench_app(f"sqlite:///{db_path}", INBOX_DIR=str(inbox))
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect (and set the pragmas) before the clock starts
        started = time.perf_counter()
        result = import_inbox(None)
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return seconds, result


def floor_once(template: Path, imported: Path, target: Path) -> float:
    """Seconds to insert the imported rows (as stored) into a fresh copy with plain sqlite3 executemany."""
    shutil.copy(template, target)
    source = sqlite3.connect(imported)
    tables = {name: _rows(source, name) for name in ("cases", "case_events", "rejected_rows")}
    source.close()
    conn = sqlite3.connect(target)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for name, (columns, rows) in tables.items():
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def _rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
    return [d[0] for d in cursor.description], cursor.fetchall()


def report(rows: int, seconds: float, floor: float) -> None:
    ratio = seconds / floor if floor > 0 else float("inf")
    print(
        f"{'import 100k-row export' if rows == 100_000 else f'import {rows:,}-row export':<34} "
        f"{seconds:8.2f} s  {rows / seconds:10,.0f} rows/s | floor (sqlite3 executemany) {floor:6.2f} s "
        f"{rows / floor:10,.0f} rows/s | ratio {ratio:5.1f}x (aim: at most 3x)",
        flush=True,
    )


def profile(template: Path, export: Path, work: Path) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    import_once(template, work / "profile.db", export, work / "inbox-profile")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
