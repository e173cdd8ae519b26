"""Inbox files as files: known by their content, stored under safe names, one never in the way of another.

Real files in a real folder; the failures are real ones of the file system (a name too long for its note,
a processed/ that is not a folder, a name that is not UTF-8), not mocks.
"""

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casework.clock import localtime
from casework.extensions import db
from casework.intake.inbox import import_inbox, stored_name
from casework.intake.run import intake_run
from casework.models import Case, ProcessedFile, RejectedRow, utcnow
from tests.helpers import HEADER, rows, write_csv

LONG = "工单导出" + "x" * 234 + ".csv"  # 250 bytes: the name fits the folder, the name + ".error.txt" does not
BAD_ROW = [["", "2026-03-05 08:30", "没有编号的一行"]]


@pytest.fixture
def inbox(app) -> Path:
    folder = Path(app.config["INBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def test_a_file_whose_note_name_is_too_long_is_imported_once_and_the_files_after_it_too(world, inbox):
    assert len(LONG.encode()) == 250
    write_csv(inbox / LONG, HEADER, rows(2) + BAD_ROW)
    write_csv(inbox / "zz-after.csv", HEADER, rows(1, start=10))

    first = intake_run("manual")
    second = intake_run("manual")

    assert (first.status, first.new, first.rejected) == ("ok", 3, 1)
    assert (second.status, second.fetched, second.new) == ("ok", 0, 0)
    assert count(Case) == 3 and count(RejectedRow) == 1
    assert files_in(inbox) == sorted(files_in(inbox / "processed"))  # nothing left waiting
    stored = db.session.scalar(select(ProcessedFile).where(ProcessedFile.original_name == LONG))
    assert stored.outcome == "imported" and stored.rows == 3 and stored.run_id == first.id
    assert (inbox / stored.stored_as).is_file() and len(Path(stored.stored_as).name.encode()) <= 120
    assert stored.stored_as.endswith(".csv")


def test_a_refused_file_with_a_long_name_is_stored_shortened_beside_a_note_naming_it_in_full(app, inbox):
    (inbox / LONG).write_bytes(b"not,an,export\n")

    (refused,) = import_inbox(None).refused

    assert refused.renamed_from == LONG and refused.name != LONG
    note = (inbox / "rejected" / f"{refused.name}.error.txt").read_text(encoding="utf-8")
    assert LONG in note.splitlines()[0]
    record = json.loads(note.strip().splitlines()[-1])
    assert (record["file"], record["renamed_from"]) == (refused.name, LONG)
    with app.test_request_context():
        assert LONG in refused.label() and "too long" in refused.label()
    assert not (inbox / LONG).exists()


def test_the_same_bytes_under_another_name_are_not_ingested_again_but_moved_and_counted_as_duplicates(app, inbox):
    write_csv(inbox / "monday.csv", HEADER, rows(2) + BAD_ROW)
    import_inbox(None)
    (inbox / "monday-again.csv").write_bytes(next((inbox / "processed").rglob("monday.csv")).read_bytes())

    again = import_inbox(None)

    assert (again.fetched, again.new, again.duplicates, again.rejected) == (3, 0, 3, 0)
    assert count(RejectedRow) == 1  # not a second copy under the new name
    assert count(ProcessedFile) == 1
    assert files_in(inbox / "processed") == ["monday-again.csv", "monday.csv"]
    assert not (inbox / "monday-again.csv").exists()


def test_a_file_name_that_is_not_utf8_is_stored_readably(app, inbox):
    write_csv(inbox / "placeholder.csv", HEADER, rows(1) + BAD_ROW)
    raw_name = b"\xb5\xbc\xb3\xf6-\xff.csv"  # GBK bytes from an old share: not UTF-8
    os.rename(os.fsencode(inbox / "placeholder.csv"), os.fsencode(inbox) + b"/" + raw_name)

    result = import_inbox(None)

    assert (result.new, result.rejected) == (1, 1)
    stored = db.session.scalar(select(ProcessedFile))
    assert stored.original_name == r"\xb5\xbc\xb3\xf6-\xff.csv"
    assert db.session.scalar(select(RejectedRow.source_name)) == stored.original_name
    assert (inbox / stored.stored_as).is_file()
    assert os.listdir(inbox) == ["processed"]


def test_a_file_that_cannot_be_moved_stays_is_reported_and_the_next_file_still_imports(world, inbox):
    (inbox / "processed").mkdir()
    today = inbox / "processed" / localtime(utcnow(), "%Y-%m-%d")
    today.write_text("a file where today's folder should be")
    write_csv(inbox / "a.csv", HEADER, rows(1) + BAD_ROW)
    write_csv(inbox / "b.csv", HEADER, rows(1, start=5))

    stuck = intake_run("manual")

    assert (stuck.status, stuck.new, stuck.rejected) == ("failed", 2, 1)
    assert "a.csv" in stuck.error and "b.csv" in stuck.error and "stay in the inbox" in stuck.error
    today.unlink()

    freed = intake_run("manual")

    assert (freed.status, freed.new, freed.duplicates, freed.rejected) == ("ok", 0, 3, 0)
    assert count(RejectedRow) == 1 and count(Case) == 2
    assert files_in(inbox / "processed") == ["a.csv", "b.csv"]
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    stored = db.session.scalar(select(ProcessedFile).where(ProcessedFile.original_name == "a.csv"))
    assert (inbox / stored.stored_as).is_file()  # where it went in the end, not where it was meant to go


def test_a_refused_file_is_read_again_when_dropped_again(app, inbox):
    write_csv(inbox / "big.csv", HEADER, rows(3))
    data = (inbox / "big.csv").read_bytes()
    app.config["INBOX_MAX_ROWS"] = 2
    assert [f.name for f in import_inbox(None).refused] == ["big.csv"]
    app.config["INBOX_MAX_ROWS"] = 200_000  # the operator raised the limit and drops the file again
    (inbox / "big.csv").write_bytes(data)

    result = import_inbox(None)

    assert (result.new, result.refused) == (3, [])
    (stored,) = db.session.scalars(select(ProcessedFile))
    assert (stored.outcome, stored.rows, stored.reason) == ("imported", 3, None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("导出.csv", "导出.csv"),
        ("export 2026-03 (2).xlsx", "export 2026-03 (2).xlsx"),
        ("a\nb\tc\x00d.csv", "a_b_c_d.csv"),
        ('con:a*b?c"d<e>f|g\\h.csv', "con_a_b_c_d_e_f_g_h.csv"),
        ("\udcff\udcfe.csv", "_xff_xfe.csv"),
        ("   .csv", "file.csv"),
        ("x." + "y" * 300, "x." + "y" * 118),
    ],
)
def test_stored_names_are_safe_and_keep_the_suffix(name, expected):
    assert stored_name(name) == expected


def test_a_long_stored_name_is_cut_on_a_character_and_keeps_its_suffix():
    name = stored_name("诉" * 200 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode()) <= 120
    assert name.encode().decode() == name and name.startswith("诉")


def test_the_rejected_rows_page_names_a_long_refused_file_as_it_came_and_as_stored(world, inbox, client, auth):
    (inbox / LONG).write_bytes(b"not,an,export\n")
    (refused,) = import_inbox(None).refused
    auth.login(world.dispatcher)

    page = client.get("/intake/rejected").get_data(as_text=True)

    files = page[page.index('id="refused-files"') :]
    assert refused.name in files and LONG in files and "that name was too long" in files


def test_a_file_left_in_rejected_under_a_name_that_is_not_utf8_is_listed_readably(world, inbox, client, auth):
    (inbox / "rejected").mkdir()
    with open(os.fsencode(inbox / "rejected") + b"/old-\xff.csv", "wb") as f:
        f.write(b"x")
    auth.login(world.dispatcher)

    response = client.get("/intake/rejected")

    assert response.status_code == 200 and r"old-\xff.csv" in response.get_data(as_text=True)
