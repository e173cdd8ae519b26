"""The inbox folder: real CSV and XLSX exports written here, imported, and moved where they belong."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.intake.inbox import import_inbox, read_rows
from casework.models import Case, RejectedRow
from tests.helpers import HEADER, rows, write_csv, write_xlsx


@pytest.fixture
def inbox(app) -> Path:
    return Path(app.config["INBOX_DIR"])


def numbers() -> list[str]:
    return list(db.session.scalars(select(Case.number).order_by(Case.number)))


def processed(inbox: Path) -> list[str]:
    return sorted(p.name for p in (inbox / "processed").rglob("*") if p.is_file())


def test_a_gbk_csv_imports_and_moves_to_processed_under_the_date(world, inbox):
    write_csv(inbox / "导出.csv", HEADER, rows(3), "gbk")
    result = import_inbox(None)
    assert (result.fetched, result.new) == (3, 3)
    assert numbers() == ["GD00000001", "GD00000002", "GD00000003"]
    assert db.session.scalar(select(Case).where(Case.number == "GD00000001")).content == "路灯不亮，1号"
    (day,) = (inbox / "processed").iterdir()
    assert date.fromisoformat(day.name) and [p.name for p in day.iterdir()] == ["导出.csv"]
    assert not (inbox / "导出.csv").exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings_are_detected(world, inbox, encoding):
    write_csv(inbox / "a.csv", HEADER, rows(1), encoding)
    assert import_inbox(None).new == 1
    assert db.session.scalar(select(Case.caller_name)) == "张三"


def test_header_variants_and_a_title_line_above_the_header(app, inbox):
    header = ["受理时间", "工单编号", "诉求描述", "联系方式", "备注"]
    write_csv(
        inbox / "b.csv",
        ["12345热线工单导出（2026年3月）"],
        [[], header, ["2026/3/5 8:30:00", "GD1", "噪音扰民", "139 0000 1111", "x"]],
    )
    (row,) = read_rows(inbox / "b.csv")
    assert row["order_no"] == "GD1" and row["content"] == "噪音扰民" and row["caller_phone"] == "139 0000 1111"
    assert row["line"] == 4
    assert import_inbox(None).new == 1


@pytest.mark.parametrize(
    "written",
    ["2026-03-05 08:30", "2026/3/5 8:30:00", "2026年3月5日 8时30分", "2026-03-05T08:30:00+08:00"],
)
def test_chinese_date_formats_read_as_shanghai_time(app, inbox, written):
    write_csv(inbox / "c.csv", HEADER[:3], [["GD1", written, "内容"]])
    import_inbox(None)
    assert db.session.scalar(select(Case.received_at)) == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)


def test_an_xlsx_with_excel_date_cells_and_numeric_order_numbers(world, inbox):
    table = [["工单编号", "来电时间", "诉求内容", "联系电话", "办理时限", "事发地址"]]
    table.append(
        [2026030500001, datetime(2026, 3, 5, 8, 30), "供暖不热", 13812345678, datetime(2026, 3, 6, 17, 0), "红旗村5号"]
    )
    table.append(["GD-X", datetime(2026, 3, 5, 9, 0), "", None, None, None])  # no content: rejected
    write_xlsx(inbox / "export.xlsx", table)
    result = import_inbox(None)
    db.session.commit()
    assert (result.new, result.rejected) == (1, 1)
    case = db.session.scalar(select(Case))
    assert case.number == "2026030500001" and case.caller_phone == "13812345678"
    assert case.received_at == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
    assert case.due_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # the platform's 办理时限
    assert case.village_id == world.v2.id  # found in the address
    rejected = db.session.scalar(select(RejectedRow))
    assert (rejected.source_name, rejected.line, rejected.raw["received_at"]) == (
        "export.xlsx",
        3,
        "2026-03-05 09:00:00",
    )
    assert processed(inbox) == ["export.xlsx"]


def test_the_same_export_dropped_twice_imports_once_and_is_kept_twice(app, inbox):
    write_csv(inbox / "same.csv", HEADER, rows(2))
    import_inbox(None)
    write_csv(inbox / "same.csv", HEADER, rows(3))
    result = import_inbox(None)
    assert (result.new, result.duplicates) == (1, 2)
    assert processed(inbox) == ["same-1.csv", "same.csv"]


def test_duplicates_inside_one_file_are_counted(app, inbox):
    write_csv(inbox / "d.csv", HEADER, rows(2) + rows(1))
    result = import_inbox(None)
    assert (result.fetched, result.new, result.duplicates) == (3, 2, 1)


def test_blank_lines_are_skipped_not_rejected(app, inbox):
    write_csv(inbox / "e.csv", HEADER, [*rows(1), [], ["", "", ""], *rows(1, start=2)])
    result = import_inbox(None)
    assert (result.fetched, result.new, result.rejected) == (2, 2, 0)


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        (
            "cols.csv",
            "编号X,时间X\n1,2\n".encode(),
            "Required columns not found in the first 10 rows: 工单编号, 来电时间, 诉求内容",
        ),
        (
            "partial.csv",
            "工单编号,来电人\n1,张三\n".encode(),
            "Required columns not found in the first 10 rows: 来电时间, 诉求内容",
        ),
        ("bytes.csv", b"\xff\xfe\x00\x81\x30\xff\xff", "neither UTF-8 nor GBK/GB18030"),
        ("fake.xlsx", b"this is not a workbook", "Not a readable XLSX workbook (BadZipFile)"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "An old Excel .xls file: open it in Excel, save it as an .xlsx workbook"),
        ("notes.txt", b"hello", "Not a CSV or XLSX export (file type .txt)"),
        ("empty.csv", b"", "Required columns not found"),
    ],
)
def test_an_unreadable_file_moves_to_rejected_with_the_reason(app, inbox, name, content, why):
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(content)
    write_csv(inbox / "zz-good.csv", HEADER, rows(1))
    result = import_inbox(None)
    assert result.new == 1  # the other file still imports
    with app.test_request_context():
        assert [f.name for f in result.refused] == [name] and why in result.refused[0].text()
    assert (inbox / "rejected" / name).read_bytes() == content
    assert why in (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")
    assert not (inbox / name).exists()


def test_a_rejected_name_clash_keeps_both_files(app, inbox):
    for _ in range(2):
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / "bad.csv").write_bytes(b"a,b\n")
        import_inbox(None)
    names = sorted(p.name for p in (inbox / "rejected").iterdir())
    assert names == ["bad-1.csv", "bad-1.csv.error.txt", "bad.csv", "bad.csv.error.txt"]


def test_lock_files_and_folders_are_left_alone(app, inbox):
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "~$export.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.csv").write_bytes(b"x")
    assert import_inbox(None).fetched == 0
    assert (inbox / "~$export.xlsx").exists() and (inbox / ".hidden.csv").exists()


def test_a_missing_inbox_folder_is_an_empty_inbox(app):
    assert import_inbox(None).fetched == 0


def test_every_row_is_accounted_for(app, inbox):
    body = rows(4) + rows(1) + [["", "2026-03-05 08:30", "无编号"], ["GD9", "不是时间", "内容"]]
    write_csv(inbox / "mixed.csv", HEADER, body)
    result = import_inbox(None)
    assert (result.new, result.duplicates, result.rejected) == (4, 1, 2)
    assert result.fetched == result.new + result.duplicates + result.rejected == len(body)
