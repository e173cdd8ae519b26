"""The monthly export (XLSX, CSV, JSON) and the yearly summary (DOCX, JSON).

All formats are written from the same rows (`overview_rows`, `breakdown_rows`), so they agree figure
for figure. The XLSX order list is streamed from the database into openpyxl's write-only workbook."""

import json
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO
from zoneinfo import ZoneInfo

from openpyxl.utils import get_column_letter

from .. import spreadsheets
from ..text import clean
from . import definitions as d
from . import figures as fg
from .monthly import ORDER_LIST_COLUMNS, MonthlyFigures, month_orders
from .yearly import YearlySummary

MONTHLY_FORMATS = ("xlsx", "csv", "json")
YEARLY_FORMATS = ("docx", "json")
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
OVERVIEW_HEADER = ("指标", "数值", "分子", "分母")


# --- rows shared by every format ---------------------------------------------------------------


def overview_rows(counts: fg.Counts, names: dict, rate_names: dict) -> list[tuple]:
    """(指标, 数值, 分子, 分母): counts with their value, rates with the rate and its two terms."""
    rows = [(names[n], counts[n], None, None) for n in names]
    for key, label in rate_names.items():
        rate = counts.rate(key)
        rows.append((label, rate, rate.numerator, rate.denominator))
    return rows


def breakdown_header(dim_name: str, names: dict, rate_names: dict, rate_defs: dict) -> list[str]:
    rate_cols = [f"{label}（{names[rate_defs[k][0]]}÷{names[rate_defs[k][1]]}）" for k, label in rate_names.items()]
    return [dim_name, *names.values(), *rate_cols]


def breakdown_rows(table: fg.Table, names: dict, rate_names: dict) -> list[list]:
    """One row per group and the 合计 row; rates as Rate objects (each format writes them its way)."""

    def row(label: str, counts: fg.Counts) -> list:
        return [label, *(counts[n] for n in names), *(counts.rate(k) for k in rate_names)]

    return [row(label, counts) for label, counts in table.rows] + [row(d.TOTAL, table.total)]


def monthly_sections(fig: MonthlyFigures) -> list[tuple[str, list, list]]:
    """(title, header, rows) of every table of the month, in the order the exports show them."""
    sections = [
        ("工单概览", list(OVERVIEW_HEADER), overview_rows(fig.orders, d.ORDER_NAMES, d.ORDER_RATE_NAMES)),
        ("纠纷概览", list(OVERVIEW_HEADER), overview_rows(fig.disputes, d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES)),
    ]
    for dim, dim_name in d.ORDER_DIM_NAMES.items():
        header = breakdown_header(dim_name, d.ORDER_NAMES, d.ORDER_RATE_NAMES, fg.ORDER_RATES)
        rows = breakdown_rows(fig.order_tables[dim], d.ORDER_NAMES, d.ORDER_RATE_NAMES)
        sections.append((f"工单-按{dim_name}", header, rows))
    for dim, dim_name in d.DISPUTE_DIM_NAMES.items():
        header = breakdown_header(dim_name, d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES, fg.DISPUTE_RATES)
        rows = breakdown_rows(fig.dispute_tables[dim], d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES)
        sections.append((f"纠纷-按{dim_name}", header, rows))
    return sections


def monthly_title(fig: MonthlyFigures) -> str:
    return f"{fig.township}{fig.month.label}12345热线工单和矛盾纠纷统计"


def definition_rows() -> list[tuple[str, str]]:
    return [*d.GENERAL, *d.ORDER_RULES, *d.DISPUTE_RULES]


def _period_line(fig: MonthlyFigures) -> str:
    """When the figures are of and when they were made, in the township's time (UTC in brackets)."""
    zone = ZoneInfo(fig.timezone)
    start, end, made = (t.astimezone(zone) for t in (fig.start, fig.end, fig.generated_at))
    return (
        f"统计期间：{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（{fig.timezone}，不含结束时刻；"
        f"UTC {fig.start:%Y-%m-%d %H:%M} 至 {fig.end:%Y-%m-%d %H:%M}）；"
        f"生成时间：{made:%Y-%m-%d %H:%M}（{fig.timezone}）"
    )


# --- CSV ---------------------------------------------------------------------------------------


def _text(value) -> str:
    """A DOCX table cell: a rate as its text; a name from the data cleaned of what XML cannot hold (a value
    stored before intake cleaned it would otherwise make the document unwritable)."""
    if isinstance(value, fg.Rate):
        return value.text
    return "" if value is None else clean(str(value))


def _csv_value(value):
    """A rate as its text (85.7%); counts stay numbers, so the writer never mistakes -3 for text."""
    return value.text if isinstance(value, fg.Rate) else value


def write_monthly_csv(fig: MonthlyFigures, out: IO[str]) -> None:
    """One UTF-8 (with BOM: open the file with encoding='utf-8-sig') table after another, each under
    its 【title】; the definitions last. Text from data never starts a formula (spreadsheets.csv_writer)."""
    w = spreadsheets.csv_writer(out)
    w.writerow([monthly_title(fig)])
    w.writerow([_period_line(fig)])
    for title, header, rows in monthly_sections(fig):
        w.writerow([])
        w.writerow([f"【{title}】"])
        w.writerow(header)
        w.writerows([_csv_value(v) for v in row] for row in rows)
    w.writerow([])
    w.writerow(["【统计口径】"])
    w.writerows(definition_rows())


# --- JSON --------------------------------------------------------------------------------------


def _rate_json(rate: fg.Rate) -> dict:
    value = None if rate.value is None else round(rate.value, 6)
    return {"numerator": rate.numerator, "denominator": rate.denominator, "rate": value}


def _counts_json(counts: fg.Counts) -> dict:
    return {**counts.values, **{k: _rate_json(r) for k, r in counts.rates.items()}}


def _table_json(table: fg.Table) -> dict:
    return {
        "rows": [{"label": label, **_counts_json(c)} for label, c in table.rows],
        "total": _counts_json(table.total),
    }


def _figures_json(total: fg.Counts, tables: dict[str, fg.Table]) -> dict:
    return {"total": _counts_json(total), **{f"by_{k}": _table_json(t) for k, t in tables.items()}}


def monthly_json(fig: MonthlyFigures) -> dict:
    return {
        "title": monthly_title(fig),
        "month": str(fig.month),
        "township": fig.township,
        "timezone": fig.timezone,
        "start_utc": fig.start.isoformat(),
        "end_utc": fig.end.isoformat(),
        "generated_at": fig.generated_at.isoformat(),
        "names": {"orders": d.ORDER_NAMES | d.ORDER_RATE_NAMES, "disputes": d.DISPUTE_NAMES | d.DISPUTE_RATE_NAMES},
        "orders": _figures_json(fig.orders, fig.order_tables),
        "disputes": _figures_json(fig.disputes, fig.dispute_tables),
        "definitions": [{"name": n, "rule": r} for n, r in definition_rows()],
    }


def write_monthly_json(fig: MonthlyFigures, out: IO[str]) -> None:
    json.dump(monthly_json(fig), out, ensure_ascii=False, indent=1)


# --- XLSX --------------------------------------------------------------------------------------


def write_monthly_xlsx(fig: MonthlyFigures, out) -> None:
    """概览, one sheet per breakdown, the month's orders (streamed) and 统计口径; `out` a path or binary file.
    Every cell goes through `spreadsheets` (text from data is never a formula)."""
    wb = spreadsheets.SafeWorkbook()
    sheets = monthly_sections(fig)
    overview = _sheet(wb, "概览", monthly_title(fig), [22, 12, 10, 10])
    overview.append([_period_line(fig)])
    for title, header, rows in sheets[:2]:
        overview.append([])
        overview.append([_bold(wb, overview, f"【{title}】")])
        _append_table(wb, overview, header, rows)
    for title, header, rows in sheets[2:]:
        ws = _sheet(wb, title, f"{monthly_title(fig)}：{title}", [16] + [11] * (len(header) - 1), freeze="B3")
        _append_table(wb, ws, header, rows)
    orders = _sheet(wb, "本月工单清单", f"{fig.month.label}受理的工单（月末状态）", _ORDER_WIDTHS, freeze="B3")
    orders.append([_bold(wb, orders, h) for h in ORDER_LIST_COLUMNS])
    orders_part = f"xl/worksheets/sheet{len(wb.worksheets)}.xml"
    rules = _sheet(wb, "统计口径", "统计口径", [24, 100])
    rules.append([_bold(wb, rules, "指标"), _bold(wb, rules, "口径")])
    for row in definition_rows():
        rules.append(row)
    with tempfile.TemporaryFile() as draft:
        wb.save(draft)
        draft.seek(0)
        _stream_rows_into(draft, out, orders_part, month_orders(fig.month), first_row=3)


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


_ORDER_WIDTHS = [18, 17, 10, 10, 9, 9, 17, 17, 9, 11, 17, 8, 8]


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


def write_monthly(fig: MonthlyFigures, fmt: str, path) -> None:
    """Write the month's export in `fmt` to `path` (CSV with a BOM, JSON in UTF-8)."""
    if fmt == "xlsx":
        write_monthly_xlsx(fig, path)
        return
    with open(path, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as out:
        (write_monthly_csv if fmt == "csv" else write_monthly_json)(fig, out)


# --- the yearly summary ------------------------------------------------------------------------

MONTH_COLUMNS_ORDERS = ("received", "assigned", "resolved", "resolved_on_time", "returned", "reopened", "extended")
MONTH_COLUMNS_DISPUTES = ("received", "settled", "failed", "withdrawn", "escalated")


def yearly_title(s: YearlySummary) -> str:
    return f"{s.township}{s.year}年12345热线和矛盾纠纷化解工作统计"


def month_table(s: YearlySummary) -> tuple[list[str], list[list]]:
    """The month-by-month table: hotline flows and rates, disputes received and settled."""
    header = [
        "月份",
        *(d.ORDER_NAMES[n] for n in MONTH_COLUMNS_ORDERS),
        *d.ORDER_RATE_NAMES.values(),
        *(f"纠纷{d.DISPUTE_NAMES[n]}" for n in MONTH_COLUMNS_DISPUTES),
    ]
    rows = []
    for (month, o), (_, dp) in zip(s.order_months, s.dispute_months, strict=True):
        rows.append(
            [
                month.label,
                *(o[n] for n in MONTH_COLUMNS_ORDERS),
                *(o.rate(k) for k in d.ORDER_RATE_NAMES),
                *(dp[n] for n in MONTH_COLUMNS_DISPUTES),
            ]
        )
    return header, rows


def yearly_sections(s: YearlySummary) -> list[tuple[str, list, list]]:
    sections = [
        ("全年工单", list(OVERVIEW_HEADER), overview_rows(s.orders, d.ORDER_NAMES, d.ORDER_RATE_NAMES)),
        ("全年纠纷", list(OVERVIEW_HEADER), overview_rows(s.disputes, d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES)),
        ("分月情况", *month_table(s)),
    ]
    for dim, table in s.order_tables.items():
        name = d.ORDER_DIM_NAMES[dim]
        header = breakdown_header(name, d.ORDER_NAMES, d.ORDER_RATE_NAMES, fg.ORDER_RATES)
        sections.append((f"工单按{name}", header, breakdown_rows(table, d.ORDER_NAMES, d.ORDER_RATE_NAMES)))
    for dim, table in s.dispute_tables.items():
        name = d.DISPUTE_DIM_NAMES[dim]
        header = breakdown_header(name, d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES, fg.DISPUTE_RATES)
        sections.append((f"纠纷按{name}", header, breakdown_rows(table, d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES)))
    return sections


def yearly_json(s: YearlySummary) -> dict:
    return {
        "title": yearly_title(s),
        "year": s.year,
        "township": s.township,
        "timezone": s.timezone,
        "generated_at": s.generated_at.isoformat(),
        "start_utc": s.start.isoformat(),
        "end_utc": s.end.isoformat(),
        "complete": not s.is_partial,
        "period": yearly_period_line(s),
        "sentences": {
            "hotline": s.hotline_sentence,
            "disputes": s.disputes_sentence,
            "hotline_resolved": s.orders["resolved"],
            "disputes_settled": s.disputes["settled"],
            "disputes_settled_approx": s.disputes_approx,
        },
        "orders": _figures_json(s.orders, s.order_tables),
        "disputes": _figures_json(s.disputes, s.dispute_tables),
        "months": [
            {"month": str(m), "orders": _counts_json(o), "disputes": _counts_json(dp)}
            for (m, o), (_, dp) in zip(s.order_months, s.dispute_months, strict=True)
        ],
        "definitions": [{"name": n, "rule": r} for n, r in [*d.YEARLY_RULES, *definition_rows()]],
    }


def yearly_period_line(s: YearlySummary) -> str:
    """The year's period in the township's time; a year not over yet says up to when it is counted."""
    zone = ZoneInfo(s.timezone)
    start, end, made = (t.astimezone(zone) for t in (s.start, s.end, s.generated_at))
    if s.is_partial:
        return (
            f"统计期间：{start:%Y-%m-%d %H:%M} 至 {made:%Y-%m-%d %H:%M}（{s.timezone}）。"
            f"本年度尚未结束，以上为截至生成时的数字，年终请重新生成。"
        )
    return (
        f"统计期间：{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（{s.timezone}，全年，不含结束时刻）；"
        f"生成时间：{made:%Y-%m-%d %H:%M}"
    )


def write_yearly_docx(s: YearlySummary, out) -> None:
    """A Word document the township office can paste from: title, the two sentences, the tables."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Table Grid"].font.size = Pt(9)  # the tables' text, set once on their style
    doc.add_heading(yearly_title(s), level=1)
    doc.add_paragraph(yearly_period_line(s))
    doc.add_heading("一、工作报告用语", level=2)
    for sentence in (s.disputes_sentence, s.hotline_sentence):
        doc.add_paragraph(sentence)
    numerals = "二三四五六七八九十"
    for i, (title, header, rows) in enumerate(yearly_sections(s)):
        doc.add_heading(f"{numerals[i % len(numerals)]}、{title}", level=2)
        table = doc.add_table(rows=1 + len(rows), cols=len(header), style="Table Grid")
        for cells, values in zip(table.rows, [header, *rows], strict=True):
            for cell, value in zip(cells.cells, values, strict=True):
                cell.text = _text(value)
    doc.add_heading("统计口径", level=2)
    for name, rule in [*d.YEARLY_RULES, *definition_rows()]:
        doc.add_paragraph(f"{name}：{rule}")
    doc.save(out)


def write_yearly(s: YearlySummary, fmt: str, path) -> None:
    if fmt == "docx":
        write_yearly_docx(s, path)
        return
    with open(path, "w", encoding="utf-8") as out:
        json.dump(yearly_json(s), out, ensure_ascii=False, indent=1)
