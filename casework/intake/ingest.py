"""Ingest: rows from any source become new orders, duplicates are counted, failures are kept.

Set-based: rows go in batches; each batch costs one query to find the order numbers already known and
one bulk insert each for the new cases, their 'receive' events and the rejected rows.

No row's content stops an ingest: every value is cleaned before it is checked or stored (normalize), and
a batch the database still refuses is inserted again row by row, each in a savepoint, so that only the
rows it refuses fail; they are kept as rejected rows with the database's reason. A rejected row is kept
once per source: the same raw row read again (a page re-read, a file read again) is a duplicate.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice

from flask_babel import gettext
from sqlalchemy import DateTime, insert, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from .. import deadlines
from ..extensions import db, insert_ignoring_known, savepoint
from ..models import Case, CaseEvent, IntakeRun, RejectedRow, UTCDateTime, utcnow
from ..refusals import N_
from ..text import clean
from .normalize import FIELDS, Normalizer, Problem

log = logging.getLogger(__name__)
UNREADABLE_ROW = N_("The row holds a value that cannot be read; correct it and import again.")
REFUSED_BY_DATABASE = N_("The database refused this row (its reason follows); correct it and import again.")
RENAMED = N_("%(name)s (renamed from %(original)s: that name was taken in rejected/)")

# Rows per batch. Committing each batch, a 200,000-row import holds SQLite's write lock (insert to commit)
# about 70 ms a batch, at worst 0.4 s on a busy 2-core machine, and runs as fast as with 1000 (about
# 4,500 rows/s): the web's writes wait well under their busy timeout, never locked out.
BATCH = 500
# What a row's content can make the database raise (a constraint, a value it cannot take); anything else
# (the database gone, a lock timed out) is not the row's fault and ends the ingest as before.
CONTENT_ERRORS = (IntegrityError, DataError)
DATABASE_REASON_LENGTH = 200
SOURCE_LENGTH = RejectedRow.__table__.c.source_name.type.length


@dataclass(frozen=True)
class RefusedFile:
    """An inbox file that could not be read at all, so none of its rows were: kept in rejected/ with why."""

    name: str
    reason: str  # an English msgid, or the text of a note written before reasons were msgids
    params: dict = field(default_factory=dict)
    at: datetime | None = None
    renamed_from: str = ""  # the name it came in under, when a file of that name was already in rejected/

    def label(self) -> str:
        """The name to look for in rejected/, and what it was called before, if it was renamed there."""
        if not self.renamed_from or self.renamed_from == self.name:
            return self.name
        return gettext(RENAMED, name=self.name, original=self.renamed_from)

    def text(self) -> str:
        """The reason, with what to do, in the reader's language (a note's values that do not fit its msgid,
        e.g. edited by hand, show the msgid as it is rather than break the page)."""
        try:
            return gettext(self.reason, **self.params)
        except (KeyError, TypeError, ValueError):
            return self.reason


@dataclass
class IngestResult:
    """What one ingest (or a whole run, by adding results) did with the rows it was given, and the files
    it could not read at all (`refused`: none of their rows is counted anywhere else)."""

    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    rejected: int = 0
    case_ids: list[int] = field(default_factory=list, repr=False)
    refused: list[RefusedFile] = field(default_factory=list)

    def __add__(self, other: "IngestResult") -> "IngestResult":
        return IngestResult(
            self.fetched + other.fetched,
            self.new + other.new,
            self.duplicates + other.duplicates,
            self.rejected + other.rejected,
            self.case_ids + other.case_ids,
            self.refused + other.refused,
        )


def ingest(
    rows: Iterable[dict],
    run: IntakeRun | None,
    source_name: str,
    *,
    commit_each_batch: bool = False,
    on_batch: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Import rows (canonical keys plus `line`): new orders get their deadlines and a 'receive' event,
    order numbers already known (in the database or earlier in these rows) change nothing and are counted,
    failing rows are kept as open RejectedRows with their source, line and reasons. Every row given is
    counted once: new, duplicate (a known number, or a rejected row already kept) or rejected.

    Flushes, never commits; unless `commit_each_batch`, which commits after each batch of BATCH rows
    (a long file then never holds the database's write lock for long). `on_batch` is called with each
    batch's result once its rows are written, before they are committed (e.g. to count them on the run).
    """
    normalizer = Normalizer.for_app()
    source = stored_source(source_name)
    result = IngestResult()
    seen: set[str] = set()
    for batch in _batches(rows, BATCH):
        deadlines.check_entered_schedules_again()  # a schedule committed mid-run counts from the next batch
        part = _ingest_batch(batch, normalizer, run, source, seen)
        _absorb(result, part)
        if on_batch is not None:
            on_batch(part)
        if commit_each_batch:
            db.session.commit()
    db.session.flush()
    return result


def stored_source(source_name: str) -> str:
    """The source name as stored with its rows: cleaned (a file name may carry what no database takes)
    and cut to the column."""
    return clean(source_name)[:SOURCE_LENGTH]


def _ingest_batch(batch: list[dict], normalizer: Normalizer, run, source: str, seen: set[str]) -> IngestResult:
    good, failed = _check(batch, normalizer)
    fresh = _unseen(good, seen)
    ids, refused = _insert_isolating(fresh, source)
    kept = _keep_rejected(failed + refused, run, source)
    return IngestResult(len(batch), len(ids), len(batch) - len(ids) - kept, kept, ids)


def _absorb(total: IngestResult, part: IngestResult) -> None:
    """Add a batch to the ingest's result in place (not `+`: that would copy the ids at every batch)."""
    total.fetched += part.fetched
    total.new += part.new
    total.duplicates += part.duplicates
    total.rejected += part.rejected
    total.case_ids.extend(part.case_ids)


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _check(batch: list[dict], normalizer: Normalizer) -> tuple[list[tuple[dict, dict]], list[tuple[dict, list]]]:
    """(raw row, its case fields) of the good rows; (raw row, its problems) of the others."""
    good, failed = [], []
    for raw in batch:
        try:
            fields, problems = normalizer.row(raw)
        except (ArithmeticError, ValueError, TypeError):  # a value no check foresaw: this row only, not the file
            log.exception("row %s could not be normalised", raw.get("line"))
            fields, problems = {}, [Problem("", UNREADABLE_ROW)]
        if problems:
            failed.append((raw, problems))
        else:
            fields["line"] = raw.get("line")
            good.append((raw, fields))
    return good, failed


def _unseen(good: list[tuple[dict, dict]], seen: set[str]) -> list[tuple[dict, dict]]:
    """The rows whose order number is neither in the database (one query) nor earlier in this ingest."""
    known = known_numbers([fields["number"] for _, fields in good])
    fresh = []
    for raw, fields in good:
        if fields["number"] not in known and fields["number"] not in seen:
            seen.add(fields["number"])
            fresh.append((raw, fields))
    return fresh


def _insert_isolating(rows: list[tuple[dict, dict]], source: str) -> tuple[list[int], list[tuple[dict, list]]]:
    """Insert the rows' orders at once; if the database refuses that, row by row, each in its own savepoint,
    so that only the rows it refuses fail. The new ids, and each refused raw row with the reason."""
    if not rows:
        return [], []
    try:
        with savepoint():
            return insert_orders([fields for _, fields in rows], source), []
    except CONTENT_ERRORS:
        log.info("a batch of %s was refused by the database: inserting it row by row", source)
    ids, refused = [], []
    for raw, fields in rows:
        try:
            with savepoint():
                ids += insert_orders([fields], source)
        except CONTENT_ERRORS as exc:
            log.warning("%s line %s refused by the database: %s", source, raw.get("line"), exc.orig)
            refused.append((raw, refused_by_database(exc)))
    return ids, refused


def refused_by_database(exc: DBAPIError) -> list[Problem]:
    """Why the database refused a row: what to do, then the database's own words on a line of their own."""
    return [Problem("", REFUSED_BY_DATABASE), Problem("", database_reason(exc))]


def database_reason(exc: DBAPIError) -> str:
    """The database's own words for refusing a row: its first line, cleaned and short (no SQL, no context),
    safe to %-format: a % in them (they may quote a value) becomes the full-width ％, which reads the same and
    formats as nothing."""
    diag = getattr(exc.orig, "diag", None)  # psycopg: the primary message without context and detail
    message = getattr(diag, "message_primary", None) or str(exc.orig)
    lines = clean(message).strip().splitlines()
    return (lines[0] if lines else type(exc.orig).__name__)[:DATABASE_REASON_LENGTH].replace("%", "％")


def known_numbers(numbers: list[str]) -> set[str]:
    """The order numbers among `numbers` that already have a case (one query)."""
    if not numbers:
        return set()
    return set(db.session.scalars(select(Case.number).where(Case.number.in_(set(numbers)))))


def insert_orders(rows: list[dict], source_name: str, actor_id: int | None = None) -> list[int]:
    """Bulk-insert checked rows as received orders with deadlines and their 'receive' events; their ids.

    A number inserted meanwhile by someone else is skipped (ON CONFLICT DO NOTHING), not an error.
    """
    if not rows:
        return []
    now = utcnow()
    cases = Case.__table__
    values = stored_values(cases, [order_values(r, now) for r in rows])
    stmt = insert_ignoring_known(_untyped(cases, values[0]), ["number"]).returning(cases.c.id, cases.c.number)
    ids = dict((number, case_id) for case_id, number in db.session.execute(stmt, values))
    events = [_event_values(r, ids[r["number"]], source_name, actor_id) for r in rows if r["number"] in ids]
    if events:
        events_table = CaseEvent.__table__
        db.session.execute(insert(_untyped(events_table, events[0])), stored_values(events_table, events))
    return [ids[r["number"]] for r in rows if r["number"] in ids]


def _untyped(table, sample: dict):
    """The table without column types: the values given are already in the database's own form."""
    return sql_table(table.name, *(sql_column(name) for name in sample))


def stored_values(table, rows: list[dict]) -> list[dict]:
    """Rows (dicts with the same keys) converted as each column's own bind processor would (UTC naive times,
    JSON text …), times the fast way (see _converter): a batch shares its created_at and most of its deadlines.
    This is what keeps a 100,000-row import near the speed of bare executemany."""
    dialect = db.session.get_bind().dialect
    converters = [(name, process) for name in rows[0] if (process := _converter(table.c[name].type, dialect))]
    stored = []
    for row in rows:
        row = dict(row)
        for name, process in converters:
            if row[name] is not None:
                row[name] = process(row[name])
        stored.append(row)
    return stored


def _converter(column_type, dialect):
    """The column's bind processor (None: its values go as they are); for times, by isoformat where the
    dialect writes a time as isoformat's text (SQLite: the same text, several times faster), else memoized."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None or not isinstance(column_type, UTCDateTime):
        return process
    return _as_isoformat(column_type, dialect) or _memoized(process)


def _as_isoformat(column_type: UTCDateTime, dialect):
    written = DateTime().dialect_impl(dialect).bind_processor(dialect)
    sample = datetime(2026, 1, 2, 3, 4, 5, 6789)
    if written is None or written(sample) != sample.isoformat(" ", "microseconds"):
        return None
    return lambda value: column_type.process_bind_param(value, dialect).isoformat(" ", "microseconds")


def _memoized(process):
    seen: dict = {}

    def convert(value):
        if value not in seen:
            seen[value] = process(value)
        return seen[value]

    return convert


def order_values(row: dict, now: datetime) -> dict:
    """The columns of a new order from a checked row (see normalize): received, with the deadlines of the
    rules (a platform's own deadline wins), created at `now`."""
    ack_due_at, due_at = deadlines.deadlines_for(
        row["request_type"], row["urgency"], row["received_at"], category=row["category"], deadline=row["deadline"]
    )
    return {
        "kind": "order",
        "number": row["number"],
        "state": "received",
        "version": 1,
        "received_at": row["received_at"],
        "village_id": row["village_id"],
        "category": row["category"],
        "content": row["content"],
        "address": row["address"],
        "urgency": row["urgency"],
        "due_at": due_at,
        "ack_due_at": ack_due_at,
        "reopen_count": 0,
        "extension_count": 0,
        "created_at": now,
        "updated_at": now,
        "caller_name": row["caller_name"],
        "caller_phone": row["caller_phone"],
        "request_type": row["request_type"],
        "source": "",
    }


def _event_values(row: dict, case_id: int, source_name: str, actor_id: int | None) -> dict:
    data = {"source": source_name}
    if row.get("line") is not None:
        data["line"] = row["line"]
    if row.get("given_type"):
        data["request_type_given"] = row["given_type"]
    if row.get("given_phone"):
        data["caller_phone_given"] = row["given_phone"]
    return {"case_id": case_id, **CaseEvent.receive_values(row["received_at"], actor_id, data)}


def _keep_rejected(failed: list[tuple[dict, list[Problem]]], run: IntakeRun | None, source: str) -> int:
    """Keep the failed rows, each once per source: a raw row (and line) already kept from this source, e.g.
    a page or file read again, is left as it is (ON CONFLICT DO NOTHING). How many were kept now."""
    if not failed:
        return 0
    now = utcnow()
    rows = []
    for raw, problems in failed:
        fields = raw_fields(raw)
        rows.append(
            {
                "run_id": run.id if run is not None else None,
                "source_name": source,
                "line": raw.get("line"),
                "reason": "\n".join(dict.fromkeys(p.message for p in problems)),
                "raw": fields,
                "digest": row_digest(fields, raw.get("line")),
                "status": "open",
                "created_at": now,
                "case_id": None,
            }
        )
    stmt = insert_ignoring_known(RejectedRow.__table__, ["source_name", "digest"])
    return len(db.session.execute(stmt.returning(RejectedRow.__table__.c.id), rows).all())


def row_digest(fields: dict, line: int | None) -> str:
    """SHA-256 of a row's cleaned raw fields and its line, as stable JSON: what makes it the same row."""
    text = json.dumps({"fields": fields, "line": line}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def raw_fields(raw: dict) -> dict:
    """The row's canonical fields as text, as they were read, cleaned (kept for correction)."""
    return {key: _as_text(raw.get(key)) for key in FIELDS}


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return clean(str(value))
