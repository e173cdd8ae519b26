"""No export carries a formula that came from the data (issue 8 §2).

Hostile text goes in through the real paths (the platform's feed, the factories, the workflow), the
files come out through the real CLI and routes, and the tests read them back: openpyxl, calamine and
the raw sheet XML for XLSX, the csv module for CSV."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from casework import workflow
from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake.run import intake_run
from casework.spreadsheets import cell_value
from casework.stats import definitions as d
from casework.text import clean

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example","分类")'
NOVEMBER = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
CATEGORY_SHEET = f"工单-按{d.ORDER_DIM_NAMES['category']}"


# --- reading the files back --------------------------------------------------------------------


def export(runner, tmp_path: Path, fmt: str, month: str = "2026-11") -> Path:
    path = tmp_path / f"month.{fmt}"
    result = runner.invoke(args=["export-month", month, "--format", fmt, "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def formulas(xlsx: Path) -> list[tuple[str, str]]:
    """(sheet part, formula) of every <f> element in the workbook's sheet XML."""
    found = []
    with zipfile.ZipFile(xlsx) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = z.read(name).decode("utf-8")
                found += [
                    (name, f) for f in re.findall(r"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>", xml)
                ]
    return found


def error_cells(xlsx: Path) -> list[str]:
    """Cells written as an error value (t="e"), which Excel shows as #N/A and the like, not text."""
    with zipfile.ZipFile(xlsx) as z:
        parts = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")]
    return [c for xml in parts for c in re.findall(r'<c [^>]*t="e"[^>]*>.*?</c>', xml)]


def column_a(xlsx: Path, sheet: str) -> list:
    return [row[0].value for row in load_workbook(xlsx)[sheet].iter_rows() if row]


def cell_with(xlsx: Path, sheet: str, value: str):
    """The openpyxl cell of `sheet` holding `value`."""
    cells = [c for row in load_workbook(xlsx)[sheet].iter_rows() for c in row if c.value == value]
    assert cells, f"{value!r} not in {sheet}"
    return cells[0]


def calamine_values(xlsx: Path, sheet: str) -> list:
    return [v for row in CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name(sheet).to_python() for v in row]


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def formula_cells(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START)]


# --- the reproductions -------------------------------------------------------------------------


@pytest.fixture
def platform(app, world):
    fake = FakePlatform(token="t")
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN="t", FEED_TIMEOUT=5)
        yield fake


def platform_ticket(order_no: str, **fields) -> dict:
    ticket = generate_tickets(1, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))[0]
    return {**ticket, "order_no": order_no, "village": "东风村", **fields}


def test_a_hyperlink_category_from_the_platform_is_text_in_the_category_sheet(platform, runner, tmp_path):
    platform.add(platform_ticket("GD-HYPER", category=HYPERLINK))
    assert intake_run("manual").new == 1

    path = export(runner, tmp_path, "xlsx")

    assert formulas(path) == []
    cell = cell_with(path, CATEGORY_SHEET, "'" + HYPERLINK)
    assert (cell.data_type, cell.hyperlink) == ("s", None)
    assert "'" + HYPERLINK in calamine_values(path, CATEGORY_SHEET)


def test_a_tab_before_the_formula_does_not_get_it_through(platform, runner, tmp_path):
    """Intake strips the tab, so the stored category is the bare formula."""
    platform.add(platform_ticket("GD-TAB", category="\t=2+2"))
    intake_run("manual")

    path = export(runner, tmp_path, "xlsx")

    assert formulas(path) == []
    assert "'=2+2" in column_a(path, CATEGORY_SHEET)


HOSTILE = {"category": "=2+2", "request_type": "-3+3", "village": "@SUM(1,2)", "cadre": "+1-1", "dispute": "=1*9"}


@pytest.fixture
def hostile_month(world, make):
    """An order and a dispute of November whose every text that reaches an export is a formula."""
    village = make.village(HOSTILE["village"])
    cadre = make.user("cadre", [village], name=HOSTILE["cadre"])
    order = make.order(
        village, category=HOSTILE["category"], request_type=HOSTILE["request_type"], received_at=NOVEMBER
    )
    workflow.assign(order, world.dispatcher, assignee=cadre, at=NOVEMBER)
    dispute = workflow.register_dispute(
        world.dispatcher,
        village=village,
        category=HOSTILE["dispute"],
        source="排查",
        content="=2+2",
        parties=[{"name": "-张三"}],
        received_at=NOVEMBER,
    )
    db.session.commit()
    return order, dispute


def test_the_csv_breakdowns_carry_no_cell_that_starts_a_formula(hostile_month, runner, tmp_path):
    text = export(runner, tmp_path, "csv").read_text(encoding="utf-8-sig")

    cells = csv_cells(text)
    assert formula_cells(cells) == []
    assert {"'" + v for v in HOSTILE.values()} <= set(cells)


def test_every_sheet_shows_the_hostile_text_as_text(hostile_month, runner, tmp_path):
    path = export(runner, tmp_path, "xlsx")

    assert formulas(path) == []
    for dim, value in [("category", "category"), ("request_type", "request_type"), ("village", "village")]:
        assert "'" + HOSTILE[value] in column_a(path, f"工单-按{d.ORDER_DIM_NAMES[dim]}")
    assert "'" + HOSTILE["cadre"] in column_a(path, f"工单-按{d.ORDER_DIM_NAMES['cadre']}")
    assert "'" + HOSTILE["dispute"] in column_a(path, f"纠纷-按{d.DISPUTE_DIM_NAMES['category']}")


def test_the_order_list_shows_the_hostile_text_as_text(hostile_month, runner, tmp_path):
    """The order list is sheet XML written by hand: the same guard, read back by two readers."""
    order, _ = hostile_month
    path = export(runner, tmp_path, "xlsx")

    [row] = [r for r in load_workbook(path)["本月工单清单"].iter_rows(values_only=True) if r[0] == order.number]
    assert row[2:5] == ("'@SUM(1,2)", "'=2+2", "'-3+3")
    assert {"'@SUM(1,2)", "'=2+2", "'-3+3"} <= set(calamine_values(path, "本月工单清单"))


def test_an_error_code_from_the_data_is_text_not_an_error_cell(world, make, runner, tmp_path):
    make.order(world.v1, category="#N/A", received_at=NOVEMBER)

    path = export(runner, tmp_path, "xlsx")

    assert error_cells(path) == []
    assert cell_with(path, CATEGORY_SHEET, "#N/A").data_type == "s"


def test_counts_and_rates_stay_numbers(hostile_month, runner, tmp_path):
    path = export(runner, tmp_path, "xlsx")
    sheet = load_workbook(path)[CATEGORY_SHEET]
    [row] = [r for r in sheet.iter_rows() if r[0].value == "'=2+2"]
    assert all(c.data_type == "n" or c.value == d.NO_RATE for c in row[1:]), [c.value for c in row]
    assert any(c.data_type == "n" and c.value == 1 for c in row[1:])  # the order received
    text = export(runner, tmp_path, "csv").read_text(encoding="utf-8-sig")
    [csv_row] = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == "'=2+2"]
    assert all(v == "" or v == d.NO_RATE or v.rstrip("%").replace(".", "").isdigit() for v in csv_row[1:]), csv_row


def test_a_control_character_stored_before_cleaning_does_not_stop_the_export(world, make, runner, tmp_path):
    """Rows stored before intake cleaned its text may hold characters XML cannot carry."""
    make.order(make.village("旧\x01村"), category="=\x0b2+2", received_at=NOVEMBER)

    path = export(runner, tmp_path, "xlsx")

    assert formulas(path) == []
    assert "'=2+2" in column_a(path, CATEGORY_SHEET)
    assert "旧村" in column_a(path, f"工单-按{d.ORDER_DIM_NAMES['village']}")


def test_a_noncharacter_stored_before_cleaning_does_not_stop_the_xlsx(world, make, runner, tmp_path):
    """U+FFFE and U+FFFF are valid text but not valid XML: a stored one used to make the sheet unwritable."""
    make.order(make.village("东\uffff村"), category="道\ufffe路", received_at=NOVEMBER)

    path = export(runner, tmp_path, "xlsx")

    assert "道路" in column_a(path, CATEGORY_SHEET)
    assert "东村" in column_a(path, f"工单-按{d.ORDER_DIM_NAMES['village']}")


def test_a_noncharacter_stored_before_cleaning_does_not_stop_the_yearly_docx(world, make, runner, tmp_path):
    make.order(make.village("东\uffff村"), category="道\ufffe路", received_at=NOVEMBER)
    path = tmp_path / "y.docx"

    result = runner.invoke(args=["yearly-summary", "2026", "--format", "docx", "-o", str(path)])

    assert result.exit_code == 0, result.output
    cells = {c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells}
    assert "东村" in cells


# --- the replies CSV -----------------------------------------------------------------------------


def test_the_replies_csv_carries_no_cell_that_starts_a_formula(world, make, auth, client):
    cadre = make.user("cadre", [world.v1], name="-王五")
    order = make.order(world.v1, number="@GD1")
    workflow.assign(order, world.dispatcher, assignee=cadre)
    workflow.resolve(order, cadre, result="+1 已处理")
    db.session.commit()
    auth.login(world.dispatcher)

    cells = csv_cells(client.get("/replies.csv").data.decode("utf-8-sig"))

    assert formula_cells(cells) == []
    assert [cells[5], cells[6], cells[8]] == ["'@GD1", "'+1 已处理", "'-王五"]  # after the 5 headers


# --- every writer, present and future ----------------------------------------------------------

WRITERS = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(|WriteOnlyCell\b|xlsxwriter")


def test_every_spreadsheet_writer_goes_through_the_one_guard():
    """CSV and XLSX are only written through casework.spreadsheets, which guards every cell."""
    package = Path(__file__).parent.parent / "casework"
    offenders = [
        f"{path.relative_to(package)}:{n}: {line.strip()}"
        for path in package.rglob("*.py")
        if path.name != "spreadsheets.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRITERS.search(line)
    ]
    assert offenders == []


# --- any text at all -----------------------------------------------------------------------------

PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "\t=", "\r\n=", " =", "'=", "#N/A", "=HYPERLINK("])
ANY_CHARACTER = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")  # what the databases store
SHORT = st.builds(lambda p, t: p + t, PREFIXES, st.text(ANY_CHARACTER, max_size=30))
LONG = st.builds(
    lambda p, t, n: (p + t * n)[:10_000],
    PREFIXES,
    st.text(ANY_CHARACTER, min_size=1, max_size=8),
    st.integers(1, 10_000),
)
_seq = iter(range(1, 10**6))


def _fits(text: str, length: int, required: bool = False) -> str:
    """`text` cut to its column (PostgreSQL enforces the length); a required field gets a formula."""
    text = text[:length]
    return text if text.strip() or not required else "=1+1"


@settings(max_examples=8)
@given(category=SHORT, village=SHORT, cadre=SHORT, request_type=SHORT, content=LONG, result=LONG)
def test_any_text_goes_into_every_export_and_comes_back_with_no_formula(
    world, make, runner, auth, client, tmp_path, category, village, cadre, request_type, content, result
):
    n = next(_seq)
    place = make.village(_fits(village, 54) + f"~{n}")  # village names are unique
    person = make.user("cadre", [place], name=_fits(cadre, 40, required=True))
    order = make.order(
        place, category=_fits(category, 40), request_type=_fits(request_type, 10), content=content, received_at=NOVEMBER
    )
    workflow.assign(order, world.dispatcher, assignee=person)
    workflow.resolve(order, person, result=_fits(result, 10_000, required=True))
    workflow.register_dispute(
        world.dispatcher,
        village=place,
        category=_fits(category, 40, required=True),
        source="排查",
        content=_fits(content, 10_000, required=True),
        parties=[{"name": _fits(cadre, 40, required=True)}],
        received_at=NOVEMBER,
    )
    db.session.commit()
    folder = tmp_path / str(n)
    folder.mkdir()

    xlsx = export(runner, folder, "xlsx")
    assert formulas(xlsx) == [] and error_cells(xlsx) == []
    if clean(order.category).strip():
        assert cell_value(order.category) in column_a(xlsx, CATEGORY_SHEET)
    assert calamine_values(xlsx, "本月工单清单")
    csv_text = export(runner, folder, "csv").read_text(encoding="utf-8-sig")
    assert formula_cells(csv_cells(csv_text)) == []
    assert cell_value(order.category) in csv_cells(csv_text) or not order.category
    assert json.loads(export(runner, folder, "json").read_text(encoding="utf-8"))["orders"]["total"]["received"] >= 1
    auth.login(world.dispatcher)
    replies = csv_cells(client.get("/replies.csv").data.decode("utf-8-sig"))
    assert formula_cells(replies) == []
    assert cell_value(order.result) in replies
