"""Limits on inbox files: size, rows, an XLSX's zip and its XML, checked on real crafted files.

No timings: a file over a limit is shown to be refused before it is parsed (a damaged tail that parsing
would report instead), or to be read no further than the limit (the same damaged tail after the limit).
"""

import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.intake.inbox import Unreadable, import_inbox, read_rows
from casework.intake.run import intake_run
from casework.models import Case, ProcessedFile
from tests.helpers import HEADER, rows, write_csv, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
DAMAGED_TAIL = b"<row><c r='A1' t='inlineStr'><is><t>never closed"  # parsing this far fails


@pytest.fixture
def inbox(app) -> Path:
    folder = Path(app.config["INBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row(number: int, values: list[str]) -> bytes:
    cells = b"".join(cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">'.encode() + cells + b"</row>"


def table_rows(n: int) -> list[bytes]:
    return [row(1, HEADER[:3])] + [row(i + 2, r[:3]) for i, r in enumerate(rows(n))]


def crafted_xlsx(path: Path, *parts: bytes, dimension: str | None = None, prolog: bytes = b"", tail=b"</sheetData>"):
    """A real workbook (openpyxl's) whose first sheet is replaced by the XML given, written in parts."""
    write_xlsx(path, [["placeholder"]])
    with zipfile.ZipFile(path) as old:
        members = {info.filename: old.read(info) for info in old.infolist() if info.filename != SHEET}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
        with new.open(SHEET, "w") as sheet:
            sheet.write(prolog + NS + (f'<dimension ref="{dimension}"/>'.encode() if dimension else b""))
            sheet.write(b"<sheetData>")
            for part in parts:
                sheet.write(part)
            sheet.write(tail + (b"</worksheet>" if tail.endswith(b"</sheetData>") else b""))
    return path


def reason_of(app, inbox: Path) -> tuple[str, list]:
    result = import_inbox(None)
    with app.test_request_context():
        return " ".join(f.text() for f in result.refused), result.refused


def imported() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_openpyxl_reads_xml_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(app, inbox):
    app.config["INBOX_MAX_BYTES"] = 1000
    write_csv(inbox / "big.csv", HEADER, rows(30))  # a good export, only too big

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["big.csv"] and imported() == 0
    assert "over the limit of 1000 B" in why and "CASEWORK_INBOX_MAX_BYTES" in why
    assert (inbox / "rejected" / "big.csv").is_file()


def test_a_csv_with_more_rows_than_the_limit_is_refused_whole(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 5
    write_csv(inbox / "many.csv", HEADER, rows(6))

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["many.csv"] and imported() == 0
    assert "More than 5 rows" in why and "CASEWORK_INBOX_MAX_ROWS" in why


def test_rows_up_to_the_limit_import(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 5
    write_csv(inbox / "five.csv", HEADER, rows(5))
    assert import_inbox(None).new == 5


def test_an_xlsx_that_is_mostly_empty_space_is_refused_by_its_ratio_before_it_is_parsed(app, inbox):
    crafted_xlsx(inbox / "bomb.xlsx", *table_rows(2), b"<row/>" * 2_000_000, DAMAGED_TAIL, tail=b"")
    assert (inbox / "bomb.xlsx").stat().st_size < 100_000

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["bomb.xlsx"] and imported() == 0
    assert "compressed" in why and "more than 100 to 1" in why  # not "damaged": it was never parsed


def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_parsed(app, inbox):
    app.config["INBOX_MAX_BYTES"] = 100_000  # it may unpack to ten times that
    crafted_xlsx(inbox / "wide.xlsx", *table_rows(5000), DAMAGED_TAIL, tail=b"")
    assert (inbox / "wide.xlsx").stat().st_size < 100_000

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["wide.xlsx"] and imported() == 0
    assert "unpacks to" in why and "over the limit of 1000000 B" in why


def test_empty_rows_count_and_reading_stops_at_the_row_limit(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 100
    # One row far below the others: openpyxl yields every empty row in between, without XML for them.
    far = row(20_000_000, ["GD-FAR", "2026-03-05 08:30", "远处的一行"])
    # (A <dimension> lets openpyxl open the sheet without parsing it to the end to find its size.)
    crafted_xlsx(inbox / "gap.xlsx", *table_rows(2), far, DAMAGED_TAIL, tail=b"", dimension="A1:C3")

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["gap.xlsx"] and imported() == 0
    assert "More than 100 rows" in why  # not "damaged": the tail after the limit was never read


def test_a_huge_dimension_is_not_taken_at_its_word(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 100
    path = crafted_xlsx(inbox / "dim.xlsx", *table_rows(2), dimension="A1:XFD20000000")

    lines = read_rows(path)

    assert [r["order_no"] for r in lines] == ["GD00000001", "GD00000002"]
    assert import_inbox(None).new == 2


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode() for i in range(2, 10))
    + b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)


def test_a_workbook_with_entities_is_refused_not_expanded(app, inbox):
    crafted_xlsx(
        inbox / "laughs.xlsx", row(1, HEADER[:3]), row(2, ["GD1", "2026-03-05 08:30", "&lol9;"]), prolog=BILLION_LAUGHS
    )

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["laughs.xlsx"] and imported() == 0
    assert "declares XML entities" in why


def test_a_workbook_with_an_external_entity_is_refused_and_reads_no_local_file(app, inbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    prolog = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    crafted_xlsx(inbox / "xxe.xlsx", row(1, HEADER[:3]), row(2, ["GD1", "2026-03-05 08:30", "&xxe;"]), prolog=prolog)

    why, refused = reason_of(app, inbox)

    assert [f.name for f in refused] == ["xxe.xlsx"] and imported() == 0
    assert "declares XML entities" in why and "TOP-SECRET" not in why
    assert "TOP-SECRET" not in (inbox / "rejected" / "xxe.xlsx.error.txt").read_text(encoding="utf-8")


def test_a_refusal_for_a_limit_is_recorded_with_its_reason(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 1
    write_csv(inbox / "two.csv", HEADER, rows(2))

    import_inbox(None)

    (stored,) = db.session.scalars(select(ProcessedFile))
    assert (stored.outcome, stored.original_name, stored.stored_as) == ("refused", "two.csv", "rejected/two.csv")
    assert stored.reason.startswith("More than %(rows)d rows")


def test_read_rows_says_unreadable_for_a_limit(app, inbox):
    app.config["INBOX_MAX_ROWS"] = 1
    path = write_csv(inbox / "two.csv", HEADER, rows(2))
    with pytest.raises(Unreadable):
        read_rows(path)


def test_without_defusedxml_no_workbook_is_read_and_it_waits_in_the_inbox(world, inbox, monkeypatch):
    """openpyxl decides at import whether it parses through defusedxml (OPENPYXL_DEFUSEDXML, the package
    installed): an install where it does not is the operator's to fix, not the file's fault."""
    write_xlsx(inbox / "export.xlsx", [HEADER, *rows(1)])
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)

    run = intake_run("manual")

    assert (run.status, run.new) == ("failed", 0) and "export.xlsx (RuntimeError" in run.error
    assert "defusedxml" in run.error and (inbox / "export.xlsx").is_file()
