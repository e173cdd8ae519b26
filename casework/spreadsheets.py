"""Where a row of an export becomes cells: every CSV and XLSX the app writes goes through here.

A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before them) as a formula, and
openpyxl writes such a string as one (`<f>`). Text in an export comes from the platform, inbox files
and forms (categories, villages, cadres' names, results …), so every text cell is made safe in the
one place a row turns into cells, and a writer cannot forget it:

- `cell_value`: the value a cell holds: text cleaned (`text.clean`: no control character XML cannot
  carry) and guarded (`text.spreadsheet_safe`: a leading apostrophe); numbers stay numbers.
- `csv_writer`: a csv writer whose rows pass through `cell_value`.
- `SafeWorkbook`: openpyxl's write-only workbook whose sheets pass every appended value through
  `cell_value` and write text as a string cell (never a formula, never an error value like #N/A);
  `styled` makes a cell with a font or number format the same way.
- `rows_xml`: sheet rows written as XML directly (the monthly order list, too long for openpyxl's
  objects), from the same `cell_value`.

tests/test_export_formulas.py fails when a module outside this one builds a csv writer or a workbook.
"""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .text import clean, spreadsheet_safe


def cell_value(value):
    """What a cell from data holds: text cleaned and never read as a formula; other values unchanged."""
    if isinstance(value, str):
        return spreadsheet_safe(clean(value))
    return value


def safe_row(row: Iterable) -> list:
    return [cell_value(v) for v in row]


# --- CSV ---------------------------------------------------------------------------------------


class _SafeCsvWriter:
    """csv.writer's writerow/writerows, each cell through `cell_value` first."""

    def __init__(self, out: IO[str], **fmtparams):
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        self._writer.writerows(map(safe_row, rows))


def csv_writer(out: IO[str], **fmtparams) -> _SafeCsvWriter:
    """A CSV writer for exports: numbers are written as numbers, text never starts a formula."""
    return _SafeCsvWriter(out, **fmtparams)


# --- XLSX (openpyxl) ---------------------------------------------------------------------------


def _as_text_cell(cell: Cell) -> Cell:
    """`cell` with its text guarded and typed a string: openpyxl would type '=…' a formula and '#N/A'
    an error value by looking at the text."""
    if isinstance(cell.value, str):
        cell.value = cell_value(cell.value)
        cell.data_type = "s"
    return cell


def styled(ws, value, *, bold: bool = False, number_format: str | None = None) -> Cell:
    """A cell of `ws` holding `value` (guarded as every cell is), in bold or with a number format."""
    cell = _as_text_cell(WriteOnlyCell(ws, value=cell_value(value)))
    if bold:
        cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell


class _SafeSheet(WriteOnlyWorksheet):
    """A write-only sheet whose appended rows become guarded cells: text as string cells, numbers as
    numbers, cells made elsewhere guarded again (cheap: the apostrophe is not a formula start)."""

    def append(self, row):
        super().append([self._cell(v) for v in row])

    def _cell(self, value):
        if isinstance(value, Cell):
            return _as_text_cell(value)
        if isinstance(value, str):
            return _as_text_cell(WriteOnlyCell(self, value=cell_value(value)))
        return value


class SafeWorkbook(Workbook):
    """openpyxl's write-only workbook, every sheet of it guarded (`_SafeSheet`)."""

    def __init__(self):
        super().__init__(write_only=True)

    def create_sheet(self, title=None, index=None):
        sheet = _SafeSheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


# --- sheet XML written directly ----------------------------------------------------------------


def rows_xml(rows: Iterable[tuple], first_row: int, batch: int = 1000):
    """SpreadsheetML rows (inline strings, numbers) in chunks of bytes.

    The cells carry no reference (`r` is optional: a row's cells follow one another, an empty value
    is an empty `<c/>`), so a cell's XML depends on its value alone. A month's list repeats few
    distinct values (villages, categories, states, cadres), so most cells cost a dictionary lookup."""
    cell = _CellCache().__getitem__
    parts = []
    for r, row in enumerate(rows, start=first_row):
        parts.append(f'<row r="{r}">{"".join(map(cell, row))}</row>')
        if len(parts) >= batch:
            yield "".join(parts).encode()
            parts = []
    if parts:
        yield "".join(parts).encode()


class _CellCache(dict):
    """value -> its cell's XML, made on first sight; the first LIMIT values are kept."""

    LIMIT = 50_000

    def __missing__(self, value) -> str:
        xml = cell_xml(value)
        if len(self) < self.LIMIT:
            self[value] = xml
        return xml


_NEEDS_CARE = re.compile(r"[&<>]|^\s|\s$")  # escaping, edge spaces (control characters: cleaned away)


def cell_xml(value) -> str:
    """One cell's XML: a number, or an inline string (never a formula) of the cleaned, guarded text."""
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    text = cell_value(str(value))
    if not text:
        return "<c/>"
    if _NEEDS_CARE.search(text):  # most values (numbers, times, names) are written as they are
        text = escape(text)
        if text != text.strip():
            return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'
