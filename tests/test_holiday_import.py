"""A year's holiday schedule as JSON: `flask calendar import/export` and the service behind them and the page."""

import json

import pytest

from casework import holidays
from casework.models import HolidaySchedule
from tests.helpers import SCHEDULE_2027, due_of, end_of, local


def schedule_text(**changes) -> str:
    return holidays.schedule_json({**SCHEDULE_2027, **changes})


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_schedule_imported_from_the_command_line_is_followed(runner, app, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(schedule_text(), encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    entry = holidays.current_entry(2027)
    assert (entry.source, entry.entered_by) == ("command", None)
    assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 18)


def test_the_export_is_what_was_entered_and_imports_elsewhere_unchanged(runner, world, tmp_path):
    holidays.enter_schedule(world.admin, holidays.read_schedule(SCHEDULE_2027), source="page")
    path = tmp_path / "out.json"
    result = runner.invoke(args=["calendar", "export", "2027", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text(encoding="utf-8")) == SCHEDULE_2027
    again = runner.invoke(args=["calendar", "import", str(path)])
    assert "nothing changed" in again.output


def test_a_year_the_package_knows_exports_as_the_package_has_it(runner, tmp_path):
    path = tmp_path / "2026.json"
    assert runner.invoke(args=["calendar", "export", "2026", "-o", str(path)]).exit_code == 0
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert {"name": "春节", "from": "2026-02-15", "to": "2026-02-23"} in exported["holidays"]
    assert exported["workdays"] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def test_a_year_nobody_knows_is_not_exported(runner, tmp_path):
    result = runner.invoke(args=["calendar", "export", "2028", "-o", str(tmp_path / "x.json")])
    assert result.exit_code != 0 and "2028" in result.output


def bad(holiday_index: int, **entry):
    rows = [dict(h) for h in SCHEDULE_2027["holidays"]]
    rows[holiday_index].update(entry)
    return rows


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        (schedule_text(holidays=bad(1, to="2027-02-30")), "2027-02-30", "Write the date as YYYY-MM-DD"),
        (schedule_text(holidays=bad(2, **{"from": "2027/04/03"})), "2027/04/03", "Write the date as YYYY-MM-DD"),
        (schedule_text(holidays=bad(1, to="2027-02-01")), "2027-02-01", "ends before it begins"),
        (schedule_text(holidays=bad(2, **{"from": "2027-02-12", "to": "2027-02-15"})), "2027-02-12", "overlaps 春节"),
        (schedule_text(workdays=["2027-02-14", "2027-02-07"]), "2027-02-07", "inside the holiday 春节"),
        (schedule_text(workdays=["2027-02-16"]), "2027-02-16", "Saturday or Sunday"),
        (schedule_text(workdays=["2028-05-06"]), "2028-05-06", "not in 2027"),
        (schedule_text(holidays=bad(3, name="")), '"name": ""', "Name the holiday"),
        (schedule_text().replace('"year": 2027,', '"year": 2027,,'), '"year"', "not valid JSON"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_its_line(runner, app, tmp_path, text, needle, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code != 0
    assert f"Line {line_of(text, needle)}: " in result.output and message in result.output
    assert holidays.entries(2027) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "holds no schedule"),
        (b'{"year": 1927, "holidays": []}', "from 2000 to 2100"),
        (b'{"year": 2027, "holidays": []}', "at least one holiday"),
        (b"[" * 5000, "not valid JSON"),
        (b" " * (holidays.FILE_LIMIT + 1), "too large"),
    ],
)
def test_files_that_hold_no_schedule_are_refused(app, raw, message):
    with pytest.raises(holidays.ScheduleRefused) as refused:
        holidays.import_schedule(None, raw, source="file")
    assert message in str(refused.value)
    assert HolidaySchedule.query.count() == 0
