"""The inbox folder: CSV and XLSX exports that staff download from the platform.

Each file is processed once, whatever it is called: known by its content (SHA-256, in processed_files),
the same bytes are never ingested twice. A file is read whole within limits (CASEWORK_INBOX_MAX_BYTES,
CASEWORK_INBOX_MAX_ROWS, and for an XLSX its zip's unpacked size and compression ratio, checked before
parsing), its header found in its first rows (Chinese column names and their usual variants), ingested and
committed, then moved to processed/<local date>/. A file that cannot be read, or is over a limit, moves to
rejected/ beside <name>.error.txt saying why and what to do (in the township's language and English, and
on its last line as JSON, from which the rejected rows page shows it in the reader's language). Files are
stored under a safe, bounded name; the name a file came in under is kept in the database and its note.

One file never stops the others: whatever fails with one file (reading it, the database, moving it) is
rolled back to what was committed, reported, and the file left where it is for the next run. Nothing in
the inbox is ever deleted.
"""

import csv
import hashlib
import io
import json
import logging
import os
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from defusedxml import DefusedXmlException
from flask import current_app
from flask_babel import gettext, ngettext
from openpyxl import load_workbook
from openpyxl import xml as openpyxl_xml
from sqlalchemy import select

from ..clock import localtime
from ..extensions import db
from ..models import IntakeRun, ProcessedFile, utcnow
from ..refusals import N_
from ..text import clean, fold
from .ingest import IngestResult, RefusedFile, ingest
from .messages import IntakeProblem, in_default_locale, in_locale

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
# Limits (config.py has the defaults of the two settings). An export's XML packs some 5 to 20 to 1; a
# workbook packed far tighter is mostly empty rows or cells, the shape of a zip bomb.
MAX_BYTES, MAX_ROWS = 50 * 1024 * 1024, 200_000
UNPACKED_FACTOR = 10  # an XLSX may unpack to this many times CASEWORK_INBOX_MAX_BYTES
MAX_RATIO = 100  # unpacked : packed, checked for workbooks that unpack to more than RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
MAX_COLUMNS = 100  # an export has 10 to 40 columns: cells past the 100th of a row are not looked at
# Stored names: bytes of UTF-8, so that name-NN + .error.txt fits any file system's 255; a suffix longer
# than MAX_SUFFIX (or not letters and digits) is no suffix but part of the name.
MAX_STORED_NAME, MAX_SUFFIX = 120, 10
WINDOWS_REFUSES = set('\\/:*?"<>|')  # the inbox is often a shared folder that Windows PCs open

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
TOO_BIG = N_(
    "The file is %(size)s, over the limit of %(limit)s (CASEWORK_INBOX_MAX_BYTES): export fewer orders per "
    "file, for example a month or a week each, and put the files in the inbox."
)
TOO_MANY_ROWS = N_(
    "More than %(rows)d rows below the header, the limit (CASEWORK_INBOX_MAX_ROWS): split the export into "
    "smaller files, for example a month or a week each, and put them in the inbox."
)
UNPACKS_TOO_BIG = N_(
    "The workbook unpacks to %(size)s, over the limit of %(limit)s (ten times CASEWORK_INBOX_MAX_BYTES): "
    "export fewer orders per file, for example a month or a week each, and put the files in the inbox."
)
TOO_COMPRESSED = N_(
    "The workbook is compressed %(ratio)d to 1, more than %(limit)d to 1: it is mostly empty space (such as "
    "millions of empty rows), not an export. Open it in Excel, delete the empty rows and columns, save it "
    "and put it in the inbox again."
)
UNSAFE_XML = N_(
    "The workbook declares XML entities, which no export does and which can be used to attack the server; "
    "it was not read. Download the export from the platform again and put it in the inbox."
)
RENAMED_SAFE = N_(
    "%(name)s (renamed from %(original)s: that name was too long, or had characters a stored file should not have)"
)


class Unreadable(IntakeProblem):
    """The file as a whole cannot be read; the message (a msgid) says why and what to do."""


class FileNotProcessed(IntakeProblem):
    """Something other than its content stopped one file (reading it, the database, moving it): rolled back
    to what was committed (`result`, counted all the same), the file left where it is for the next run."""

    def __init__(self, name: str, error: str, result: IngestResult | None = None):
        super().__init__("%(name)s (%(error)s)", name=name, error=error)
        self.result = result or IngestResult()


class FilesNotRead(IntakeProblem):
    """Files of the inbox could not be read (they wait in rejected/ with their notes), or could not be
    processed (they stay in the inbox): for the run to report."""

    def __init__(self, refused: list[RefusedFile], failed: list[FileNotProcessed] = ()):  # plurals: render()
        super().__init__("", num=len(refused))
        self.refused, self.failed = refused, list(failed)

    def render(self) -> str:
        sentences = []
        if self.refused:
            sentences.append(
                ngettext(
                    "%(num)d file could not be read: %(names)s. See them under Rejected rows.",
                    "%(num)d files could not be read: %(names)s. See them under Rejected rows.",
                    len(self.refused),
                    names=", ".join(f.label() for f in self.refused),  # as stored in rejected/, in this language
                )
            )
        if self.failed:
            sentences.append(
                ngettext(
                    "%(num)d file could not be processed and stays in the inbox for the next run: %(names)s.",
                    "%(num)d files could not be processed and stay in the inbox for the next run: %(names)s.",
                    len(self.failed),
                    names=", ".join(f.render() for f in self.failed),
                )
            )
        return " ".join(sentences)


@dataclass(frozen=True)
class RefusedInboxFile(RefusedFile):
    """A refused file as the inbox stores it: one renamed because its own name could not be stored says so."""

    def label(self) -> str:
        if self.renamed_from and stored_name(self.renamed_from) != self.renamed_from:
            return gettext(RENAMED_SAFE, name=self.name, original=self.renamed_from)
        return super().label()


@dataclass(frozen=True)
class Incoming:
    """A waiting file as read: its bytes (within the size limit), their SHA-256, its names."""

    path: Path
    original: str  # the name it came in under, as text any database stores
    data: bytes
    sha256: str


def import_inbox(run: IntakeRun | None) -> IngestResult:
    """Import every export file waiting in INBOX_DIR, oldest name first (see import_file). Files that could
    not be processed stay in the inbox, logged; what was committed of them is counted."""
    inbox = Path(current_app.config["INBOX_DIR"])
    total = IngestResult()
    for path in waiting_files(inbox):
        try:
            total += import_file(path, run, inbox)
        except FileNotProcessed as exc:
            total += exc.result
    return total


def waiting_files(inbox: Path) -> list[Path]:
    """Files to import: not hidden, not an Office lock file, not one of our own .error.txt notes."""
    if not inbox.is_dir():
        return []
    return sorted(
        p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(NOTE)
    )


def import_file(path: Path, run: IntakeRun | None, inbox: Path) -> IngestResult:
    """Process one waiting file, whatever it holds and is called, and move it out of the inbox:

    - bytes never imported before: ingested (committed batch by batch, so that the write lock is never
      held long), recorded in processed_files, committed, then moved to processed/<local date>/;
    - bytes imported before: not read again, moved to processed/ too; its rows count as duplicates;
    - a file that cannot be read or is over a limit: moved to rejected/ beside its note, and recorded
      (refused bytes are read again if dropped again: the limit or the file's fault may be gone).

    Raises FileNotProcessed when anything else fails: the database is rolled back to its last commit (what
    was committed is in the exception's result) and the file stays where it is, for the next run.
    """
    original = readable_name(path.name)
    try:
        return _process(path, original, run, inbox)
    except FileNotProcessed:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever stops one file must not stop the files after it
        raise _not_processed(original, exc) from exc


def _process(path: Path, original: str, run, inbox: Path) -> IngestResult:
    try:
        incoming = _take(path, original)
    except Unreadable as problem:  # too big to be taken in: refused unread
        return _refuse(Incoming(path, original, b"", ""), problem, run, inbox)
    known = _known(incoming.sha256)
    if known is not None and known.outcome == "imported":
        return _repeat(incoming, known, inbox)
    try:
        rows = parse(path.suffix, incoming.data)
    except Unreadable as problem:
        return _refuse(incoming, problem, run, inbox)
    return _import(incoming, rows, run, inbox)


def _not_processed(original: str, exc: BaseException, result: IngestResult | None = None) -> FileNotProcessed:
    db.session.rollback()
    log.exception("inbox: %s could not be processed; it stays in the inbox", original)
    error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return FileNotProcessed(original, f"{type(exc).__name__}: {error}"[:300], result)


def _take(path: Path, original: str) -> Incoming:
    data = read_bounded(path)
    return Incoming(path, original, data, hashlib.sha256(data).hexdigest())


def read_bounded(path: Path) -> bytes:
    """The file's bytes; Unreadable when there are more than CASEWORK_INBOX_MAX_BYTES (told by its size
    before anything is read, and never more than the limit read, should it grow meanwhile)."""
    limit = int(current_app.config.get("INBOX_MAX_BYTES", MAX_BYTES))
    size = path.stat().st_size
    if size <= limit:
        with path.open("rb") as f:
            data = f.read(limit + 1)
        size = len(data)
    if size > limit:
        raise Unreadable(TOO_BIG, size=_size(size), limit=_size(limit))
    return data


def _known(sha256: str) -> ProcessedFile | None:
    return db.session.scalar(select(ProcessedFile).where(ProcessedFile.sha256 == sha256))


def _import(incoming: Incoming, rows: list[dict], run, inbox: Path) -> IngestResult:
    """Ingest and record the file (committed), then move it; its counts go with FileNotProcessed if the
    move fails (the next run finds it imported and moves it then)."""
    target = _free_name(inbox / "processed" / _local_today(), stored_name(incoming.path.name))
    result = ingest(rows, run, incoming.original, commit_each_batch=True)
    _remember(incoming, inbox, target, "imported", run, rows=result.fetched)
    db.session.commit()
    try:
        _move(incoming.path, target)
    except OSError as exc:
        raise _not_processed(incoming.original, exc, result) from exc
    log.info("inbox: %s: %s", incoming.original, result)
    return result


def _repeat(incoming: Incoming, known: ProcessedFile, inbox: Path) -> IngestResult:
    """Bytes imported before (under any name): moved to processed/ unread; its rows count as duplicates.
    The record keeps the first name; where the file is, if its own move had failed, is recorded now."""
    target = _move(incoming.path, _free_name(inbox / "processed" / _local_today(), stored_name(incoming.path.name)))
    if not (inbox / known.stored_as).is_file():
        known.stored_as = _relative(target, inbox)
    db.session.commit()
    log.info("inbox: %s was imported before (as %s): moved, not read again", incoming.original, known.original_name)
    return IngestResult(fetched=known.rows, duplicates=known.rows)


def _refuse(incoming: Incoming, problem: "Unreadable", run, inbox: Path) -> IngestResult:
    """Move the file to rejected/ beside its note, then record it (a file too big to read is not: it has no
    hash); Unreadable's reason goes with it."""
    log.warning("inbox: %s rejected: %s", incoming.original, problem)
    refused = _move_rejected(incoming, inbox, problem)
    if incoming.sha256:
        _remember(incoming, inbox, inbox / "rejected" / refused.name, "refused", run, reason=problem.message)
        db.session.commit()
    return IngestResult(refused=[refused])


def _remember(incoming: Incoming, inbox: Path, target: Path, outcome: str, run, rows=0, reason=None) -> None:
    """Record the file by its content (one row per content: a refused one read again is updated)."""
    record = _known(incoming.sha256) or ProcessedFile(sha256=incoming.sha256)
    record.size, record.original_name, record.stored_as = (
        len(incoming.data),
        incoming.original,
        _relative(target, inbox),
    )
    record.outcome, record.reason, record.rows = outcome, reason, rows
    record.run_id, record.processed_at = run.id if run is not None else None, utcnow()
    db.session.add(record)


def _relative(target: Path, inbox: Path) -> str:
    return target.relative_to(inbox).as_posix()


# --- names ----------------------------------------------------------------------------------------


def readable_name(name: str) -> str:
    """A file name as text that any database stores: bytes that were not UTF-8 (os.listdir gives them as
    surrogate escapes) written as \\xNN, as Python writes them; control characters dropped."""
    return clean(_name_bytes(name).decode("utf-8", "backslashreplace"))


def stored_name(name: str) -> str:
    """The name to store a file under in processed/ or rejected/: its readable name with control and
    format characters and what Windows refuses as "_", at most MAX_STORED_NAME bytes of UTF-8 cut on a
    character, its suffix kept; a name already safe is kept as it is."""
    text = _name_bytes(name).decode("utf-8", "backslashreplace")
    text = "".join("_" if c in WINDOWS_REFUSES or unicodedata.category(c) in _UNSEEN else c for c in text)
    stem, suffix = _split_suffix(text)
    stem = _cut(stem.strip(" ."), MAX_STORED_NAME - len(suffix.encode())).rstrip(" .") or "file"
    return stem + suffix


_UNSEEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, format (bidi overrides, zero widths), surrogates, breaks


def _name_bytes(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that no file system gave (not an escaped byte)
        return name.encode("utf-8", "replace")


def _split_suffix(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and 0 < len(suffix) < MAX_SUFFIX and suffix.isascii() and suffix.isalnum():
        return stem, "." + suffix
    return name, ""


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, on a character."""
    return text.encode()[:limit].decode("utf-8", "ignore")


# --- reading --------------------------------------------------------------------------------------


def read_rows(path: Path) -> list[dict]:
    """All rows of a CSV or XLSX export with canonical keys and `line` (the spreadsheet row number);
    Unreadable when the file cannot be read or is over a limit."""
    return parse(path.suffix, read_bounded(path))


def parse(suffix: str, data: bytes) -> list[dict]:
    """The rows of an export held in `data`, its type told by `suffix`; see read_rows."""
    suffix = suffix.lower()
    if suffix == ".csv":
        table = csv.reader(io.StringIO(_decode(data), newline=""))
    elif suffix == ".xlsx":
        table = _xlsx_rows(data)
    elif suffix == ".xls":
        raise Unreadable(OLD_XLS)
    else:
        raise Unreadable(NOT_AN_EXPORT, suffix=readable_name(suffix) or "-")
    try:
        return list(_records(table, int(current_app.config.get("INBOX_MAX_ROWS", MAX_ROWS))))
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file is reported, whatever the parser raised
        if _unsafe(exc):
            raise Unreadable(UNSAFE_XML) from exc
        raise Unreadable(DAMAGED, detail=f"{exc.__class__.__name__}: {exc}"[:300]) from exc


def _unsafe(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML (entities, a DTD), maybe wrapped by openpyxl in a ValueError."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(BAD_ENCODING)


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    """The first sheet's rows, streamed (read-only), once the zip has passed its checks and the workbook
    opened. Its <dimension> is not taken at its word: it would pad every row to its width and add rows up
    to its height (or cut rows off); rows come as long as their cells go, and the empty rows between
    them each count."""
    if not openpyxl_xml.DEFUSEDXML:  # the operator's problem, not the file's: it stays in the inbox
        raise RuntimeError("openpyxl would parse XML without defusedxml: install it, OPENPYXL_DEFUSEDXML=True")
    _check_zip(data)
    return _sheet_rows(_open_workbook(data))


def _open_workbook(data: bytes):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl raises for a workbook it cannot open
        raise (Unreadable(UNSAFE_XML) if _unsafe(exc) else Unreadable(NOT_XLSX, detail=type(exc).__name__)) from exc


def _sheet_rows(book) -> Iterator[tuple]:
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _check_zip(data: bytes) -> None:
    """Unreadable when the workbook would unpack to more than UNPACKED_FACTOR × CASEWORK_INBOX_MAX_BYTES
    or is packed more than MAX_RATIO to 1: told by the zip's directory, before anything is unpacked (a
    member's declared size also bounds what reading it unpacks)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(NOT_XLSX, detail=exc.__class__.__name__) from exc
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    limit = UNPACKED_FACTOR * int(current_app.config.get("INBOX_MAX_BYTES", MAX_BYTES))
    if unpacked > limit:
        raise Unreadable(UNPACKS_TOO_BIG, size=_size(unpacked), limit=_size(limit))
    if unpacked > RATIO_FROM and unpacked > MAX_RATIO * max(packed, 1):
        raise Unreadable(TOO_COMPRESSED, ratio=unpacked // max(packed, 1), limit=MAX_RATIO)


def _size(n: int) -> str:
    """A size as people read it: bytes below a megabyte, else MB (units that need no translation)."""
    return f"{n} B" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def _records(table: Iterable, max_rows: int) -> Iterator[dict]:
    """The rows below the header; Unreadable at the first line past `max_rows` (blank lines count: a sheet
    can hold millions of them), so that nothing past the limit is read."""
    it = iter(table)
    columns, header_line = _find_header(it)
    for line, cells in enumerate(it, start=header_line + 1):
        if line - header_line > max_rows:
            raise Unreadable(TOO_MANY_ROWS, rows=max_rows)
        if not any(c not in (None, "") for c in islice(cells, MAX_COLUMNS)):
            continue  # blank line, e.g. at the end of an export
        row = {key: (_cell(cells[i]) if i < len(cells) else None) for i, key in columns.items()}
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
    for i, cell in enumerate(islice(cells, MAX_COLUMNS)):
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
    stem, suffix = _split_suffix(name)
    n = 1
    while target.exists() or _note_of(target).exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _move(path: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    return target


def _move_rejected(incoming: Incoming, inbox: Path, problem: "Unreadable") -> RefusedFile:
    """Move the file to rejected/ under its stored name and write its note beside it: why and what to do,
    for the operator in the township's language and in English, naming the file as it came in, and on
    the last line as JSON for the rejected rows page."""
    target = _move(incoming.path, _free_name(inbox / "rejected", stored_name(incoming.path.name)))
    now = utcnow()
    renamed_from = incoming.original if target.name != incoming.original else ""
    refused = RefusedInboxFile(target.name, problem.message, problem.params, now, renamed_from)
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
        return RefusedInboxFile(
            readable_name(path.name), record["reason"], record["params"], _time(record.get("at")) or at, renamed_from
        )
    reason = " ".join(line.strip() for line in lines[1:]) or (lines[0] if lines else NO_NOTE)
    return RefusedInboxFile(readable_name(path.name), reason, {}, at)


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
