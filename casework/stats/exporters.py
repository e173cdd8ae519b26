"""Every statistics file, written from one Report (report.py): the month's as XLSX, CSV and JSON, the
year's as DOCX and JSON; each writer takes either.

All formats are written from the same sections, so they agree figure for figure. The XLSX order list is
streamed from the database into the sheet's XML."""

import json
import tempfile
import zipfile
from collections.abc import Iterable
from itertools import cycle
from typing import IO

from openpyxl.utils import get_column_letter

from .. import spreadsheets
from ..text import clean
from . import definitions as d
from . import figures as fg
from .monthly import MonthlyFigures
from .report import Listing, Report, monthly_report, yearly_report
from .yearly import YearlySummary

MONTHLY_FORMATS = ("xlsx", "csv", "json")
YEARLY_FORMATS = ("docx", "json")
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def write(report: Report, fmt: str, path) -> None:
    """Write `report` in `fmt` to `path` (CSV with a BOM, JSON in UTF-8)."""
    if fmt in ("xlsx", "docx"):
        (write_xlsx if fmt == "xlsx" else write_docx)(report, path)
        return
    with open(path, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as out:
        (write_csv if fmt == "csv" else write_json)(report, out)


def write_monthly(fig: MonthlyFigures, fmt: str, path) -> None:
    """The month's report (monthly_report) in `fmt` at `path`."""
    write(monthly_report(fig), fmt, path)


def write_yearly(s: YearlySummary, fmt: str, path) -> None:
    """The year's report (yearly_report) in `fmt` at `path`."""
    write(yearly_report(s), fmt, path)


# --- CSV ---------------------------------------------------------------------------------------


def _csv_value(value):
    """A rate as its text (85.7%); counts stay numbers, so the writer never mistakes -3 for text."""
    return value.text if isinstance(value, fg.Rate) else value


def write_csv(report: Report, out: IO[str]) -> None:
    """One UTF-8 (with BOM: open the file with encoding='utf-8-sig') table after another, each under
    its 【heading】; the definitions last. Text from data never starts a formula (spreadsheets.csv_writer)."""
    w = spreadsheets.csv_writer(out)
    w.writerows([line] for line in (report.title, report.period_line, *report.sentences))
    for section in report.sections:
        w.writerow([])
        w.writerow([f"【{section.heading}】"])
        w.writerow(section.header)
        w.writerows([_csv_value(v) for v in row] for row in section.rows)
    w.writerow([])
    w.writerow(["【统计口径】"])
    w.writerows(report.definitions)


# --- JSON --------------------------------------------------------------------------------------


def _rate_json(rate: fg.Rate) -> dict:
    value = None if rate.value is None else round(rate.value, 6)
    return {"numerator": rate.numerator, "denominator": rate.denominator, "rate": value}


def _counts_json(counts: fg.Counts) -> dict:
    return {**counts.values, **{k: _rate_json(r) for k, r in counts.rates.items()}}


def _table_json(table: fg.Table) -> dict:
    return {
        "rows": [{"label": d.group_name(table.dim, group), **_counts_json(c)} for group, c in table.rows],
        "total": _counts_json(table.total),
    }


def report_json(report: Report) -> dict:
    """The title, what the report states about its period, the figures by key, month by month when
    there is such a table, and the definitions."""
    data = {"title": report.title, **report.about}
    for key, (total, tables) in report.figures.items():
        data[key] = {"total": _counts_json(total), **{f"by_{k}": _table_json(t) for k, t in tables.items()}}
    if report.months is not None:
        data["months"] = [
            {"month": month, **{k: _counts_json(c) for k, c in counts.items()}} for month, counts in report.months
        ]
    data["definitions"] = [{"name": n, "rule": r} for n, r in report.definitions]
    return data


def write_json(report: Report, out: IO[str]) -> None:
    json.dump(report_json(report), out, ensure_ascii=False, indent=1)


# --- XLSX --------------------------------------------------------------------------------------


def write_xlsx(report: Report, out) -> None:
    """概览 (the period, the sentences and the overviews), a sheet per other section, the listing (streamed)
    and 统计口径; `out` a path or binary file. Every cell goes through `spreadsheets` (text from data is
    never a formula)."""
    wb = spreadsheets.SafeWorkbook()
    _overview_sheet(wb, report)
    for section in (s for s in report.sections if not s.overview):
        widths = [16] + [11] * (len(section.header) - 1)
        ws = _sheet(wb, section.heading, f"{report.title}：{section.heading}", widths, freeze="B3")
        _append_table(wb, ws, section.header, section.rows)
    listing_part = _listing_sheet(wb, report.listing) if report.listing else None
    rules = _sheet(wb, "统计口径", "统计口径", [24, 100])
    rules.append([_bold(wb, rules, "指标"), _bold(wb, rules, "口径")])
    for row in report.definitions:
        rules.append(row)
    if listing_part is None:
        wb.save(out)
        return
    with tempfile.TemporaryFile() as draft:
        wb.save(draft)
        draft.seek(0)
        _stream_rows_into(draft, out, listing_part, report.listing.rows(), first_row=3)


def _overview_sheet(wb, report: Report) -> None:
    ws = _sheet(wb, "概览", report.title, [22, 12, 10, 10])
    for line in (report.period_line, *report.sentences):
        ws.append([line])
    for section in (s for s in report.sections if s.overview):
        ws.append([])
        ws.append([_bold(wb, ws, f"【{section.heading}】")])
        _append_table(wb, ws, section.header, section.rows)


def _listing_sheet(wb, listing: Listing) -> str:
    """The listing's sheet with its headers, its rows left to _stream_rows_into; the sheet's part name."""
    ws = _sheet(wb, listing.sheet, listing.heading, listing.widths, freeze="B3")
    ws.append([_bold(wb, ws, h) for h in listing.columns])
    return f"xl/worksheets/sheet{len(wb.worksheets)}.xml"


def _stream_rows_into(draft, out, part: str, rows: Iterable[tuple], first_row: int) -> None:
    """Copy the workbook `draft` to `out`, streaming `rows` into the sheet `part` below its headers.

    openpyxl spends most of an export on the order list (tens of thousands of rows, a Python object
    per cell); the rows are plain values, so they are written as the same sheet XML directly."""
    with zipfile.ZipFile(draft) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != part:
                zout.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>", 1)
            with zout.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for chunk in spreadsheets.rows_xml(rows, first_row):
                    sheet.write(chunk)
                sheet.write(b"</sheetData>" + tail)


def _sheet(wb, title: str, heading: str, widths: list[int], freeze: str = "A3"):
    """A write-only sheet: widths and frozen rows set before the first row, as openpyxl requires."""

    ws = wb.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = freeze
    ws.append([_bold(wb, ws, heading)])
    return ws


def _bold(wb, ws, value):
    return spreadsheets.styled(ws, value, bold=True)


def _append_table(wb, ws, header: list, rows: Iterable[list]) -> None:
    ws.append([_bold(wb, ws, h) for h in header])
    for row in rows:
        ws.append([_xlsx_value(wb, ws, v, bold=row[0] == d.TOTAL) for v in row])


def _xlsx_value(wb, ws, value, bold: bool = False):
    if isinstance(value, fg.Rate):  # a rate is a number shown as 85.7% (— when nothing to divide by)
        shown = d.NO_RATE if value.value is None else value.value
        return spreadsheets.styled(ws, shown, bold=bold, number_format="0.0%")
    return spreadsheets.styled(ws, value, bold=bold)


# --- DOCX --------------------------------------------------------------------------------------

NUMERALS = "一二三四五六七八九十"


def _text(value) -> str:
    """A DOCX table cell: a rate as its text; a name from the data cleaned of what XML cannot hold (a value
    stored before intake cleaned it would otherwise make the document unwritable)."""
    if isinstance(value, fg.Rate):
        return value.text
    return "" if value is None else clean(str(value))


def write_docx(report: Report, out) -> None:
    """A Word document the township office can paste from: title, the work report's sentences, the tables,
    the definitions."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Table Grid"].font.size = Pt(9)  # the tables' text, set once on their style
    doc.add_heading(report.title, level=1)
    doc.add_paragraph(report.period_line)
    numerals = cycle(NUMERALS)
    if report.sentences:
        doc.add_heading(f"{next(numerals)}、工作报告用语", level=2)
        for sentence in report.sentences:
            doc.add_paragraph(sentence)
    for section in report.sections:
        doc.add_heading(f"{next(numerals)}、{section.heading}", level=2)
        table = doc.add_table(rows=1 + len(section.rows), cols=len(section.header), style="Table Grid")
        for cells, values in zip(table.rows, [section.header, *section.rows], strict=True):
            for cell, value in zip(cells.cells, values, strict=True):
                cell.text = _text(value)
    doc.add_heading("统计口径", level=2)
    for name, rule in report.definitions:
        doc.add_paragraph(f"{name}：{rule}")
    doc.save(out)
