"""The inbox folder: CSV and XLSX exports that staff download from the platform.

Each file is read whole (header found in its first rows, Chinese column names and their usual variants),
ingested, committed, then moved to processed/<local date>/; a file that cannot be read at all moves to
rejected/ beside <name>.error.txt saying why. Nothing in the inbox is ever deleted.
"""

import csv
import io
import logging
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from ..extensions import db
from ..models import IntakeRun, utcnow
from .ingest import IngestResult, ingest
from .normalize import fold

log = logging.getLogger(__name__)

COLUMNS = {
    "order_no": ("工单编号", "工单号", "工单编码", "受理编号", "编号", "单号"),
    "received_at": ("来电时间", "受理时间", "登记时间", "诉求时间", "创建时间", "派单时间", "来件时间"),
    "content": ("诉求内容", "诉求描述", "问题描述", "来电内容", "工单内容", "反映内容", "内容"),
    "caller_name": ("来电人", "来电人姓名", "诉求人", "反映人", "联系人", "姓名"),
    "caller_phone": ("联系电话", "联系方式", "来电号码", "来电电话", "电话", "手机号", "手机号码"),
    "request_type": ("诉求类型", "工单类型", "诉求性质", "来电类型"),
    "category": ("问题分类", "问题类型", "事项分类", "业务分类", "诉求分类"),
    "address": ("事发地址", "事发地点", "问题地址", "地址"),
    "village": ("所属村", "所属村居", "所属村(社区)", "村居", "村(社区)", "所属社区", "村"),
    "urgency": ("紧急程度", "缓急程度", "紧急度", "紧急"),
    "deadline": ("办理时限", "办结时限", "处理时限", "截止时间", "要求办结时间", "办理期限"),
}
REQUIRED = ("order_no", "received_at", "content")
HEADER_SEARCH_ROWS = 10  # exports often put a title line or two above the header
ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
SUFFIXES = (".csv", ".xlsx")
_ALIASES = {fold(name).replace(" ", ""): key for key, names in COLUMNS.items() for name in names}


class Unreadable(Exception):
    """The file as a whole cannot be read; the message says why (written to <name>.error.txt)."""


def import_inbox(run: IntakeRun | None) -> IngestResult:
    """Import every export file waiting in INBOX_DIR, oldest name first; each file is committed on its own
    and then moved (processed/<date>/ or rejected/ with the reason), so a crash never loses or repeats one."""
    inbox = Path(current_app.config["INBOX_DIR"])
    total = IngestResult()
    for path in waiting_files(inbox):
        total += import_file(path, run, inbox)
    return total


def waiting_files(inbox: Path) -> list[Path]:
    """Files to import: not hidden, not an Office lock file, not one of our own .error.txt notes."""
    if not inbox.is_dir():
        return []
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".error.txt")
    )


def import_file(path: Path, run: IntakeRun | None, inbox: Path) -> IngestResult:
    """Ingest one file and commit; then move it. Database errors roll back and leave the file for next time."""
    try:
        rows = read_rows(path)
    except Unreadable as exc:
        log.warning("inbox: %s rejected: %s", path.name, exc)
        _move_rejected(path, inbox, str(exc))
        return IngestResult()
    try:
        result = ingest(rows, run, path.name)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _move(path, inbox / "processed" / _local_today())
    log.info("inbox: %s: %s", path.name, result)
    return result


def read_rows(path: Path) -> list[dict]:
    """All rows of a CSV or XLSX export with canonical keys and `line` (the spreadsheet row number)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))
    elif suffix == ".xlsx":
        table = _xlsx_rows(path)
    elif suffix == ".xls":
        raise Unreadable("old Excel .xls format: save it as .xlsx or .csv and put it in the inbox again")
    else:
        raise Unreadable(f"not a CSV or XLSX export (file type {suffix or 'none'})")
    try:
        return list(_records(table))
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever the parser raised
        raise Unreadable(f"the file is damaged and cannot be read ({exc.__class__.__name__}: {exc})") from exc


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable("the text is neither UTF-8 nor GBK/GB18030")


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Unreadable(f"not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


def _records(table: Iterable) -> Iterator[dict]:
    it = iter(table)
    columns, header_line = _find_header(it)
    for line, cells in enumerate(it, start=header_line + 1):
        values = [_cell(c) for c in cells]
        if not any(v not in (None, "") for v in values):
            continue  # blank line, e.g. at the end of an export
        row = {key: (values[i] if i < len(values) else None) for i, key in columns.items()}
        row["line"] = line
        yield row


def _find_header(it: Iterator) -> tuple[dict[int, str], int]:
    """{column index: canonical key} and the header's row number; Unreadable when required columns lack."""
    best: dict[int, str] = {}
    for line in range(1, HEADER_SEARCH_ROWS + 1):
        cells = next(it, None)
        if cells is None:
            break
        columns = _map_header(cells)
        if all(key in columns.values() for key in REQUIRED):
            return columns, line
        best = columns if len(columns) > len(best) else best
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in best.values()]
    raise Unreadable("required columns not found: " + ", ".join(missing))


def _map_header(cells) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, cell in enumerate(cells):
        name = fold(cell).replace(" ", "").strip("*＊")
        key = _ALIASES.get(name)
        if key and key not in columns.values():
            columns[i] = key
    return columns


def _cell(value):
    """Spreadsheet numbers that are really text (order numbers, phones) lose their '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _local_today() -> str:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date().isoformat()


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or name-1, name-2 … if taken: nothing already there is overwritten."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or (folder / f"{target.name}.error.txt").exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    path.rename(target)
    return target


def _move_rejected(path: Path, inbox: Path, reason: str) -> None:
    target = _move(path, inbox / "rejected")
    stamp = utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    (target.parent / f"{target.name}.error.txt").write_text(
        f"{path.name} could not be imported ({stamp}):\n{reason}\n", encoding="utf-8"
    )
