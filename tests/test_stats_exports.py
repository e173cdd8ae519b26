"""The monthly export in three formats and the yearly summary in two: they agree figure for figure."""

import csv
import json

import pytest
from docx import Document
from openpyxl import load_workbook

from casework.stats import definitions as d
from casework.stats.yearly import approx_count
from tests.october import OCTOBER_DISPUTES, OCTOBER_ORDERS, later_activity


def _export(runner, tmp_path, fmt: str, month: str = "2026-10"):
    path = tmp_path / f"out.{fmt}"
    result = runner.invoke(args=["export-month", month, "--format", fmt, "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _csv_sections(path) -> dict[str, list[list[str]]]:
    """{title: [header, rows...]} from the CSV's 【title】 blocks."""
    sections, current = {}, None
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            if len(row) == 1 and row[0].startswith("【"):
                current = sections.setdefault(row[0].strip("【】"), [])
            elif row and current is not None:
                current.append(row)
    return sections


def _sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_csv_starts_with_a_bom_and_holds_the_hand_counted_figures(october, runner, tmp_path):
    path = _export(runner, tmp_path, "csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    overview = {row[0]: row[1:] for row in _csv_sections(path)["工单概览"][1:]}
    assert {d.ORDER_NAMES[k]: int(overview[d.ORDER_NAMES[k]][0]) for k in OCTOBER_ORDERS} == {
        d.ORDER_NAMES[k]: v for k, v in OCTOBER_ORDERS.items()
    }
    assert overview["按时办结率"] == ["33.3%", "1", "3"]
    assert overview["延期"] == ["0", "", ""]


def test_the_three_formats_agree_figure_for_figure(october, runner, tmp_path):
    data = json.loads(_export(runner, tmp_path, "json").read_text(encoding="utf-8"))
    sections = _csv_sections(_export(runner, tmp_path, "csv"))
    wb = load_workbook(_export(runner, tmp_path, "xlsx"), read_only=True)
    assert {k: data["orders"]["total"][k] for k in OCTOBER_ORDERS} == OCTOBER_ORDERS
    assert {k: data["disputes"]["total"][k] for k in OCTOBER_DISPUTES} == OCTOBER_DISPUTES
    for title in [t for t in sections if t.startswith(("工单-", "纠纷-"))]:
        sheet = _sheet_rows(wb[title])[1:]  # below the sheet's heading
        rows_csv = sections[title]
        assert sheet[0] == rows_csv[0]  # the header
        for row_x, row_c in zip(sheet[1:], rows_csv[1:], strict=True):
            assert [_as_text(v, "率" in h) for v, h in zip(row_x, sheet[0], strict=True)] == row_c, title
        kind, dim_name = title.split("-按")
        key = "orders" if kind == "工单" else "disputes"
        dims = d.ORDER_DIM_NAMES if key == "orders" else d.DISPUTE_DIM_NAMES
        dim = next(k for k, v in dims.items() if v == dim_name)
        table = data[key][f"by_{dim}"]
        assert [r["label"] for r in table["rows"]] + [d.TOTAL] == [r[0] for r in rows_csv[1:]]
        names = list((d.ORDER_NAMES if key == "orders" else d.DISPUTE_NAMES).keys())
        for row_j, row_c in zip([*table["rows"], table["total"]], rows_csv[1:], strict=True):
            assert [str(row_j[n]) for n in names] == row_c[1 : 1 + len(names)]


def _as_text(value, is_rate: bool) -> str:
    """How the CSV writes what the XLSX holds: rates as 12.3% (a cell of 1.0 reads back as 1)."""
    if is_rate and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    return "" if value is None else str(value)


def test_json_rates_carry_numerator_and_denominator_and_null_for_zero(october, runner, tmp_path):
    data = json.loads(_export(runner, tmp_path, "json").read_text(encoding="utf-8"))
    assert data["orders"]["total"]["response_rate"] == {"numerator": 2, "denominator": 3, "rate": 0.666667}
    empty = json.loads(_export(runner, tmp_path, "json", "2025-02").read_text(encoding="utf-8"))
    assert empty["orders"]["total"]["on_time_rate"] == {"numerator": 0, "denominator": 0, "rate": None}


def test_xlsx_has_every_sheet_frozen_headers_totals_and_the_orders(october, runner, tmp_path):
    wb = load_workbook(_export(runner, tmp_path, "xlsx"))
    assert wb.sheetnames == [
        "概览",
        "工单-按村",
        "工单-按问题分类",
        "工单-按诉求类型",
        "工单-按包村干部",
        "纠纷-按纠纷类型",
        "纠纷-按调解层级",
        "纠纷-按村",
        "本月工单清单",
        "统计口径",
    ]
    by_village = wb["工单-按村"]
    assert by_village.freeze_panes == "B3"
    assert by_village.column_dimensions["A"].width == 16
    last = _sheet_rows(by_village)[-1]
    assert last[0] == "合计" and last[1] == OCTOBER_ORDERS["received"]
    orders = _sheet_rows(wb["本月工单清单"])
    assert [r[0] for r in orders[2:]] == ["GD-A", "GD-B", "GD-C"]  # received in October, oldest first
    c = dict(zip(orders[1], orders[4], strict=True))
    assert (c["来电时间"], c["月末状态"], c["月末承办干部"], c["签收时间"]) == (
        "2026-10-31 23:30",
        "待派单",
        None,
        None,
    )
    rules = {r[0] for r in _sheet_rows(wb["统计口径"])}
    assert {"响应率", "解决率", "满意率", "按时办结率", "调解成功率"} <= rules


def test_the_order_list_shows_the_state_at_month_end_not_today(october, world, runner, tmp_path):
    later_activity(world, october)
    orders = _sheet_rows(load_workbook(_export(runner, tmp_path, "xlsx"))["本月工单清单"])
    c = dict(zip(orders[1], orders[4], strict=True))
    assert c["月末状态"] == "待派单"  # C was assigned and resolved in November


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1"])
def test_a_bad_month_is_a_clear_cli_error(runner, tmp_path, month):
    result = runner.invoke(args=["export-month", month, "--format", "csv", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "not a month" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_an_unknown_format_is_refused(runner, tmp_path):
    result = runner.invoke(args=["export-month", "2026-10", "--format", "pdf", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "0"),
        (7, "7"),
        (9, "9"),
        (10, "10"),
        (15, "10余"),
        (37, "30余"),
        (99, "90余"),
        (100, "100"),
        (101, "100余"),
        (137, "130余"),
        (130, "130"),
        (999, "990余"),
        (1234, "1200余"),
        (1200, "1200"),
        (12345, "12000余"),
    ],
)
def test_the_yu_rounding(n, text):
    assert approx_count(n) == text


def test_yearly_summary_json_and_docx_carry_the_sentences(october, world, runner, tmp_path):
    runner.app.config["TOWNSHIP_NAME"] = "青山镇"
    path = tmp_path / "y.json"
    result = runner.invoke(args=["yearly-summary", "2026", "--format", "json", "-o", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text(encoding="utf-8"))
    # Resolved in 2026: A, B, F (October), none else yet; settled: P (T and Q ended failed).
    assert data["sentences"]["hotline"] == "青山镇今年共处理“12345”热线来访3件。"
    assert data["sentences"]["disputes"] == "青山镇全年累计化解矛盾纠纷1起。"
    october_row = data["months"][9]
    assert october_row["month"] == "2026-10" and october_row["orders"]["received"] == OCTOBER_ORDERS["received"]
    docx_path = tmp_path / "y.docx"
    result = runner.invoke(args=["yearly-summary", "2026", "--format", "docx", "-o", str(docx_path)])
    assert result.exit_code == 0, result.output
    doc = Document(str(docx_path))
    text = [p.text for p in doc.paragraphs]
    assert "青山镇今年共处理“12345”热线来访3件。" in text
    assert "青山镇全年累计化解矛盾纠纷1起。" in text
    month_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "月份")
    assert len(month_table.rows) == 13
    assert month_table.rows[10].cells[0].text == "2026年10月"
    assert month_table.rows[10].cells[1].text == str(OCTOBER_ORDERS["received"])


def test_yearly_counts_an_order_resolved_in_two_months_once(october, world, runner, tmp_path):
    later_activity(world, october)  # E and C resolved in November; S and Q settled in November
    path = tmp_path / "y.json"
    runner.invoke(args=["yearly-summary", "2026", "--format", "json", "-o", str(path)])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["orders"]["total"]["resolved"] == 5  # A, B, C, E, F (F resolved in September and October)
    assert sum(m["orders"]["resolved"] for m in data["months"]) == 6  # F counts in both months
    assert data["disputes"]["total"]["settled"] == 3  # P, S, Q


def test_a_bad_year_is_a_clear_cli_error(runner, tmp_path):
    result = runner.invoke(args=["yearly-summary", "20x6", "--format", "json", "-o", str(tmp_path / "y.json")])
    assert result.exit_code == 2 and "not a year" in result.output


def test_the_order_list_keeps_awkward_text_intact(world, make, runner, tmp_path):
    from datetime import UTC, datetime

    make.order(world.v1, number="GD-&<1>", category=" 水&电<急> ", received_at=datetime(2026, 10, 9, tzinfo=UTC))
    orders = _sheet_rows(load_workbook(_export(runner, tmp_path, "xlsx"))["本月工单清单"])
    assert (orders[2][0], orders[2][3]) == ("GD-&<1>", " 水&电<急> ")


def test_a_second_reader_sees_the_same_order_list(world, make, runner, tmp_path):
    """The order list is written as sheet XML by hand (cells without references): calamine, the Rust
    reader pandas uses, must read every cell in its column, as openpyxl does."""
    from datetime import UTC, datetime

    from python_calamine import CalamineWorkbook

    make.order(world.v1, number="GD-1", received_at=datetime(2026, 10, 9, tzinfo=UTC))
    make.order(world.v2, number="GD-2", category="水&电", received_at=datetime(2026, 10, 10, tzinfo=UTC))
    path = _export(runner, tmp_path, "xlsx")
    by_openpyxl = _sheet_rows(load_workbook(path)["本月工单清单"])[2:]
    by_calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("本月工单清单").to_python()[2:]
    assert [r[0] for r in by_calamine] == ["GD-1", "GD-2"]
    normalised = [[None if v == "" else int(v) if isinstance(v, float) else v for v in row] for row in by_calamine]
    assert normalised == by_openpyxl


def test_the_export_says_when_in_the_townships_time(october, runner, tmp_path):
    with open(_export(runner, tmp_path, "csv"), encoding="utf-8-sig", newline="") as f:
        period = list(csv.reader(f))[1][0]
    assert period.startswith("统计期间：2026-10-01 00:00 至 2026-11-01 00:00（Asia/Shanghai")
    assert "UTC 2026-09-30 16:00 至 2026-10-31 16:00" in period
    made = period.split("生成时间：")[1]
    assert made.endswith("（Asia/Shanghai）")


def _docx_paragraphs(runner, tmp_path, year: int) -> list[str]:
    path = tmp_path / f"y{year}.docx"
    result = runner.invoke(args=["yearly-summary", str(year), "--format", "docx", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return [p.text for p in Document(str(path)).paragraphs]


def test_a_summary_of_the_running_year_says_it_is_not_over(world, runner, tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    this_year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    running = _docx_paragraphs(runner, tmp_path, this_year)
    assert any(p.startswith(f"统计期间：{this_year}-01-01 00:00 至 ") and "本年度尚未结束" in p for p in running)
    last = _docx_paragraphs(runner, tmp_path, this_year - 1)
    period = f"统计期间：{this_year - 1}-01-01 00:00 至 {this_year}-01-01 00:00（Asia/Shanghai，全年"
    assert any(p.startswith(period) for p in last)
    assert not any("尚未结束" in p for p in last)
