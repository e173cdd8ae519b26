"""Property-based tests (Hypothesis) of the inbox: its readers and the whole inbox step of a run.

- read_rows, on any CSV bytes (encoding junk, NUL and other controls, 10,000-character cells, formula
  prefixes) and on any XLSX openpyxl writes from arbitrary cell values: rows, or Unreadable; nothing else.
- the inbox step, on files of any name and content: each file is imported once or refused once, moved out
  of the inbox, and a second run changes nothing.
Examples share the test's database (that is what repeats look like); each gets a folder of its own.
"""

import csv
import io
import os
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from casework.extensions import db
from casework.intake.inbox import FileNotProcessed, Unreadable, read_rows
from casework.intake.normalize import FIELDS
from casework.intake.run import intake_run
from casework.models import Case, ProcessedFile, RejectedRow
from tests.helpers import HEADER

FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example","x")', "+1", "-3+3", "@SUM(1,2)", "\t=2+2", "\r=1"]
CONTROLS = ["\x00", "a\x00b", "\x01\x1f\x7f", "\r\n", "\u2028", '"', ",", "\ud800"]
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(FORMULAS + CONTROLS + ["x" * 10_000, "诉" * 10_000, "GD1", "2026-03-05 08:30"]),
)
tables = st.lists(st.lists(cells, max_size=12), max_size=8)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "latin-1"])
xlsx_values = st.one_of(
    cells,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=True, allow_infinity=False),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),
)
QUICK = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def csv_bytes(header: list, table: list[list[str]], encoding: str) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([header, *table])
    return text.getvalue().encode(encoding, "surrogatepass" if encoding.startswith("utf-") else "replace")


def writable(value):
    """What openpyxl can write of a value: no control characters, no lone surrogates."""
    return ILLEGAL_CHARACTERS_RE.sub("", value).encode("utf-8", "ignore").decode() if isinstance(value, str) else value


def xlsx_bytes(header: list, table: list[list]) -> bytes:
    book = Workbook()
    for line in [header, *table]:
        book.active.append([writable(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_or_unreadable(path: Path) -> list[dict] | None:
    try:
        rows = read_rows(path)
    except Unreadable:
        return None
    required = {"order_no", "received_at", "content", "line"}
    assert all(required <= set(row) <= {*FIELDS, "line"} and isinstance(row["line"], int) for row in rows)
    return rows


headers = st.one_of(st.just(HEADER), st.lists(cells, max_size=6), st.just(HEADER[:3] + ["备注"]))


@QUICK
@given(header=headers, table=tables, encoding=encodings)
def test_read_rows_on_any_csv_gives_rows_or_unreadable(app, tmp_path, header, table, encoding):
    path = tmp_path / "any.csv"
    path.write_bytes(csv_bytes(header, table, encoding))
    rows_or_unreadable(path)


@QUICK
@given(data=st.binary(max_size=2000), prefix=st.sampled_from([b"", ",".join(HEADER).encode() + b"\n"]))
def test_read_rows_on_any_bytes_gives_rows_or_unreadable(app, tmp_path, data, prefix):
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"junk{suffix}"
        path.write_bytes(prefix + data)
        rows_or_unreadable(path)


@QUICK
@given(
    header=st.one_of(st.just(HEADER), st.lists(xlsx_values, max_size=6)),
    table=st.lists(st.lists(xlsx_values, max_size=12), max_size=6),
)
def test_read_rows_on_any_xlsx_gives_rows_or_unreadable(app, tmp_path, header, table):
    path = tmp_path / "any.xlsx"
    path.write_bytes(xlsx_bytes(header, table))
    rows = rows_or_unreadable(path)
    if header == HEADER and rows is not None:
        assert len(rows) <= len(table)


# --- the whole inbox step ---------------------------------------------------------------------------

name_text = st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=90
).filter(lambda s: not s.startswith((".", "~$")))
suffixes = st.sampled_from([".csv", ".xlsx", ".xls", ".txt", ".CSV", ""])
raw_names = st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b)


@st.composite
def file_names(draw) -> bytes:
    """A name as the file system holds it: any text, very long ones, bytes that are not UTF-8."""
    kind = draw(st.sampled_from(["text", "long", "bytes"]))
    if kind == "bytes":
        name = draw(raw_names) + draw(suffixes).encode()
    else:
        stem = draw(name_text) * (20 if kind == "long" else 1)
        name = stem.encode()[: 255 - 5] + draw(suffixes).encode()
    return name if not name.startswith((b".", b"~$")) and not name.endswith(b".error.txt") else b"f" + name


@st.composite
def contents(draw) -> bytes:
    kind = draw(st.sampled_from(["csv", "xlsx", "junk", "orders"]))
    if kind == "csv":
        return csv_bytes(draw(headers), draw(tables), draw(encodings))
    if kind == "xlsx":
        return xlsx_bytes(HEADER, draw(st.lists(st.lists(xlsx_values, max_size=4), max_size=3)))
    if kind == "junk":
        return draw(st.binary(max_size=300))
    numbers = draw(st.lists(st.integers(1, 30), min_size=1, max_size=4))
    rows = [[f"GD{n:04d}", "2026-03-05 08:30", draw(cells) or "内容", "", "", "", "", "", "", ""] for n in numbers]
    return csv_bytes(HEADER, rows, "utf-8")


files = st.lists(st.tuples(file_names(), contents()), min_size=1, max_size=4, unique_by=lambda f: f[0])


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored(folder: Path) -> list[bytes]:
    if not folder.is_dir():
        return []
    return [p for p in os.listdir(os.fsencode(folder)) if not p.endswith(b".error.txt")]


def state() -> tuple[int, int, int]:
    return count(Case), count(RejectedRow), count(ProcessedFile)


@SLOW
@given(dropped=files, copy=st.booleans())
def test_each_file_is_imported_or_refused_once_and_a_second_run_changes_nothing(app, tmp_path_factory, dropped, copy):
    inbox = tmp_path_factory.mktemp("inbox")
    app.config["INBOX_DIR"] = str(inbox)
    if copy:  # the same bytes again under another name
        dropped = [*dropped, (b"copy-" + dropped[0][0][:200], dropped[0][1])]
    for name, data in dropped:
        with open(os.fsencode(inbox) + b"/" + name, "wb") as f:
            f.write(data)

    first = intake_run("manual")

    assert os.listdir(inbox) == [] or set(os.listdir(inbox)) <= {"processed", "rejected"}
    processed = [p for day in (inbox / "processed").glob("*") for p in stored(day)]
    assert len(processed) + len(stored(inbox / "rejected")) == len(dropped)
    assert FileNotProcessed.__name__ not in (first.error or "") and "could not be processed" not in (first.error or "")
    before = state()

    second = intake_run("manual")

    assert (second.status, second.fetched, second.error) == ("ok", 0, None)
    assert state() == before
