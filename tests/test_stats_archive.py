"""Last month's statistics saved on the server once a month, in every format, never half a file."""

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casework.stats import archive
from tests.october import OCTOBER, OCTOBER_ORDERS, sh


@pytest.fixture
def folder(app) -> Path:
    return Path(app.config["EXPORT_DIR"])


@pytest.mark.parametrize(
    "now, due",
    [
        (sh(11, 1, 9), None),  # the 1st: the month's last acknowledgement deadlines may not have passed
        (sh(11, 2, 5, 59), None),
        (sh(11, 2, 6, 0), "2026-10"),
        (sh(11, 30, 23), "2026-10"),
        (sh(1, 2, 6, year=2027), "2026-12"),
    ],
)
def test_last_months_files_are_due_from_the_second_at_six(app, now: datetime, due):
    month = archive.due_month(now)
    assert (str(month) if month else None) == due


def test_the_archive_holds_the_month_in_every_format_with_the_figures(october, folder):
    written = archive.archive_last_month(sh(11, 2, 6))
    assert sorted(p.name for p in written) == [f"statistics-2026-10.{f}" for f in ("csv", "json", "xlsx")]
    data = json.loads((folder / "statistics-2026-10.json").read_text(encoding="utf-8"))
    assert data["orders"]["total"]["received"] == OCTOBER_ORDERS["received"]
    with open(folder / "statistics-2026-10.csv", encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f))[0].endswith("2026年10月12345热线工单和矛盾纠纷统计")
    assert "本月工单清单" in load_workbook(folder / "statistics-2026-10.xlsx").sheetnames
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)  # no drafts left


def test_a_file_already_there_is_never_written_again(october, folder):
    folder.mkdir(parents=True)
    kept = folder / "statistics-2026-10.csv"
    kept.write_text("corrected by hand", encoding="utf-8")
    written = archive.archive_month(OCTOBER)
    assert kept.name not in {p.name for p in written} and kept.read_text(encoding="utf-8") == "corrected by hand"
    assert archive.archive_month(OCTOBER) == []


def test_a_failed_format_leaves_no_half_file(october, folder, monkeypatch):
    real = archive.write_monthly

    def broken(figures, fmt, path):
        if fmt == "csv":
            Path(path).write_text("half", encoding="utf-8")
            raise OSError("disk full")
        real(figures, fmt, path)

    monkeypatch.setattr(archive, "write_monthly", broken)
    with pytest.raises(OSError):
        archive.archive_month(OCTOBER)
    assert sorted(p.name for p in folder.iterdir()) == ["statistics-2026-10.xlsx"]


def test_no_export_dir_means_no_archive(app, october):
    app.config["EXPORT_DIR"] = ""
    assert archive.archive_last_month(sh(11, 2, 6)) == []
