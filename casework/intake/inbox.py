"""The inbox folder: CSV and XLSX exports that staff download from the platform.

Each file is read whole (header found in its first rows, Chinese column names and their usual variants),
ingested, committed, then moved to processed/<local date>/; a file that cannot be read at all moves to
rejected/ beside <name>.error.txt saying why and what to do (in the township's language and English, and
on its last line as JSON, from which the rejected rows page shows it in the reader's language). Nothing in
the inbox is ever deleted.
"""

import csv
import io
import json
import logging
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext, ngettext

from ..display import localtime
from ..extensions import db
from ..models import IntakeRun, utcnow
from ..workflow import N_
from .ingest import IngestResult, RefusedFile, ingest
from .messages import IntakeProblem, in_default_locale, in_locale
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
NOTE = ".error.txt"

OLD_XLS = N_("An old Excel .xls file: open it in Excel, save it as an .xlsx workbook and put that in the inbox again.")
NOT_AN_EXPORT = N_(
    "Not a CSV or XLSX export (file type %(suffix)s): export the orders from the platform as .xlsx or .csv "
    "and put that file in the inbox."
)
NOT_XLSX = N_(
    "Not a readable XLSX workbook (%(detail)s): download the export from the platform again, or open it in "
    "Excel and save it as .xlsx, and put it in the inbox again."
)
DAMAGED = N_(
    "The file is damaged and cannot be read (%(detail)s): download the export from the platform again and "
    "put it in the inbox."
)
BAD_ENCODING = N_(
    "The text is neither UTF-8 nor GBK/GB18030: open the file in Excel, save it as an .xlsx workbook and put "
    "that in the inbox again."
)
NO_HEADER = N_(
    "Required columns not found in the first %(rows)d rows: %(columns)s. Export the orders again with their "
    "header row (the platform's column names) and put the file in the inbox."
)
NO_NOTE = N_("No note says why: open the file to see what is wrong with it.")
NOTE_HEADING = N_("%(name)s could not be read (%(time)s); nothing of it was imported:")


class Unreadable(IntakeProblem):
    """The file as a whole cannot be read; the message (a msgid) says why and what to do."""


class FilesNotRead(IntakeProblem):
    """Files of the inbox could not be read: for the run to report (they wait in rejected/ with their notes)."""

    def __init__(self, refused: list[RefusedFile]):  # its sentence has a plural: see render()
        super().__init__("", num=len(refused))
        self.refused = refused

    def render(self) -> str:
        return ngettext(
            "%(num)d file could not be read: %(names)s. See them under Rejected rows.",
            "%(num)d files could not be read: %(names)s. See them under Rejected rows.",
            self.params["num"],
            names=", ".join(f.label() for f in self.refused),  # as stored in rejected/, in this language
        )


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
        p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(NOTE)
    )


def import_file(path: Path, run: IntakeRun | None, inbox: Path) -> IngestResult:
    """Ingest one file and commit; then move it. Database errors roll back and leave the file for next time."""
    try:
        rows = read_rows(path)
    except Unreadable as exc:
        log.warning("inbox: %s rejected: %s", path.name, exc)
        return IngestResult(refused=[_move_rejected(path, inbox, exc)])
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
        raise Unreadable(OLD_XLS)
    else:
        raise Unreadable(NOT_AN_EXPORT, suffix=suffix or "-")
    try:
        return list(_records(table))
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever the parser raised
        raise Unreadable(DAMAGED, detail=f"{exc.__class__.__name__}: {exc}") from exc


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(BAD_ENCODING)


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Unreadable(NOT_XLSX, detail=exc.__class__.__name__) from exc
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
    raise Unreadable(NO_HEADER, rows=HEADER_SEARCH_ROWS, columns=", ".join(missing))


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
    return localtime(utcnow(), "%Y-%m-%d")


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or name-1, name-2 … if taken: nothing already there is overwritten."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or _note_of(target).exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    path.rename(target)
    return target


def _move_rejected(path: Path, inbox: Path, problem: Unreadable) -> RefusedFile:
    """Move the file to rejected/ and write its note beside it: why and what to do, for the operator in the
    township's language and in English, and on the last line as JSON for the rejected rows page."""
    target = _move(path, inbox / "rejected")
    now = utcnow()
    renamed_from = path.name if target.name != path.name else ""
    refused = RefusedFile(target.name, problem.message, problem.params, now, renamed_from)
    note = _note_text(refused, localtime(now), problem)
    record = {"file": target.name, "at": now.isoformat(), "reason": problem.message, "params": problem.params}
    if renamed_from:
        record["renamed_from"] = renamed_from
    _note_of(target).write_text(f"{note}\n\n{json.dumps(record, ensure_ascii=False)}\n", encoding="utf-8")
    return refused


def _note_text(refused: RefusedFile, stamp: str, problem: Unreadable) -> str:
    """The heading and the reason in the default locale, then in English if that is another language."""

    def render() -> str:
        return gettext(NOTE_HEADING, name=refused.label(), time=stamp) + "\n" + problem.render()

    return "\n\n".join(dict.fromkeys([in_default_locale(render), in_locale("en", render)]))


# --- the files refused, for the rejected rows page -----------------------------------------------


def refused_files(limit: int) -> tuple[list[RefusedFile], int]:
    """The files in rejected/, newest first (at most `limit`, each with its note's reason and time), and
    how many there are in all. Only the shown ones' notes are read."""
    folder = Path(current_app.config["INBOX_DIR"]) / "rejected"
    if not folder.is_dir():
        return [], 0
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.endswith(NOTE) and p.name[:1] != "."]
    files.sort(key=lambda p: (_refused_at(p), p.name), reverse=True)
    return [_refused_file(p) for p in files[:limit]], len(files)


def _note_of(path: Path) -> Path:
    return path.with_name(path.name + NOTE)


def _refused_at(path: Path) -> datetime:
    """When the file was refused: its note was written then (a file keeps its own time when moved)."""
    for candidate in (_note_of(path), path):
        try:
            return datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
        except OSError:  # no note, or taken away meanwhile
            continue
    return datetime.fromtimestamp(0, UTC)


def _refused_file(path: Path) -> RefusedFile:
    """The file and the reason its note gives: the JSON last line, or the text of a note written before
    there was one; a file moved there with no note says so."""
    try:
        lines = _note_of(path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        lines = []
    at = _refused_at(path)
    record = _record(lines[-1]) if lines else None
    if record is not None:
        renamed_from = record.get("renamed_from")
        renamed_from = renamed_from if isinstance(renamed_from, str) else ""
        return RefusedFile(path.name, record["reason"], record["params"], _time(record.get("at")) or at, renamed_from)
    reason = " ".join(line.strip() for line in lines[1:]) or (lines[0] if lines else NO_NOTE)
    return RefusedFile(path.name, reason, {}, at)


def _record(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("reason"), str):
        return None
    params = record.get("params")
    record["params"] = params if isinstance(params, dict) else {}
    return record


def _time(text) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
