"""casework.spreadsheets, the one place a row of an export becomes cells: text guarded, numbers kept."""

import csv
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from casework import spreadsheets


def test_a_csv_row_guards_text_and_keeps_numbers():
    out = io.StringIO()
    spreadsheets.csv_writer(out).writerows([[-3, "-3", 2.5, Decimal("-1.5"), None, "=1+1", "@a", "\t+1", "正常"]])

    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "-3",
        "'-3",
        "2.5",
        "-1.5",
        "",
        "'=1+1",
        "'@a",
        "'\t+1",
        "正常",
    ]


def test_a_sheet_row_writes_text_as_strings_and_numbers_as_numbers(tmp_path):
    wb = spreadsheets.SafeWorkbook()
    ws = wb.create_sheet("s")
    ws.append([-3, "-3", "=SUM(A1)", "#DIV/0!", spreadsheets.styled(ws, "+1", bold=True), "a\x01b"])
    wb.save(tmp_path / "s.xlsx")

    [row] = load_workbook(tmp_path / "s.xlsx")["s"].iter_rows()
    assert [(c.value, c.data_type) for c in row] == [
        (-3, "n"),
        ("'-3", "s"),
        ("'=SUM(A1)", "s"),
        ("#DIV/0!", "s"),
        ("'+1", "s"),
        ("ab", "s"),
    ]
    assert row[4].font.bold
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_sheet_xml_written_directly_guards_text_and_keeps_numbers():
    xml = b"".join(spreadsheets.rows_xml([(-3, "-3", "=1", " a&b ", "", None, "\x01")], first_row=3)).decode()

    assert xml == (
        '<row r="3"><c><v>-3</v></c>'
        '<c t="inlineStr"><is><t>\'-3</t></is></c>'
        '<c t="inlineStr"><is><t>\'=1</t></is></c>'
        '<c t="inlineStr"><is><t xml:space="preserve"> a&amp;b </t></is></c>'
        "<c/><c/><c/></row>"
    )
