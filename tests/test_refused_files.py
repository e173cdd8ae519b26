"""Inbox files that cannot be read at all: counted by the import, noted beside them, shown under Rejected rows."""

import json
import os
from pathlib import Path

import pytest

from casework import create_app
from casework.extensions import db
from casework.intake.inbox import FilesNotRead, import_inbox, refused_files
from casework.intake.ingest import RefusedFile
from casework.intake.run import intake_run
from tests.helpers import HEADER, forget_loaded_catalogs, login_through_form, rows, write_csv, write_xlsx


@pytest.fixture
def inbox(app) -> Path:
    folder = Path(app.config["INBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def damaged_xlsx(path: Path) -> Path:
    """A real workbook cut in half, as a broken download leaves it."""
    data = write_xlsx(path, [HEADER, *rows(3)]).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def drop_three_unreadable_files(inbox: Path) -> None:
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    damaged_xlsx(inbox / "broken.xlsx")
    write_csv(inbox / "noheader.csv", ["GD1", "2026-03-05 08:30", "路灯不亮"], [["GD2", "2026-03-05 08:40", "噪音"]])


def note(inbox: Path, name: str) -> str:
    return (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")


def test_the_import_counts_the_files_it_could_not_read_with_their_names_and_reasons(app, inbox):
    drop_three_unreadable_files(inbox)
    write_csv(inbox / "good.csv", HEADER, rows(2))

    result = import_inbox(None)

    assert (result.fetched, result.new, result.rejected) == (2, 2, 0)
    with app.test_request_context():
        reasons = {f.name: f.text() for f in result.refused}
    assert sorted(reasons) == ["broken.xlsx", "noheader.csv", "old.xls"]
    assert "save it as an .xlsx workbook and put that in the inbox again" in reasons["old.xls"]
    assert "Not a readable XLSX workbook" in reasons["broken.xlsx"]
    assert "Required columns not found" in reasons["noheader.csv"] and "header row" in reasons["noheader.csv"]
    assert all(f.at is not None for f in result.refused)


def test_the_note_beside_a_refused_file_says_why_and_ends_with_the_reason_as_json(app, inbox):
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")

    import_inbox(None)

    text = note(inbox, "old.xls")
    assert text.startswith("old.xls could not be read (")
    assert "save it as an .xlsx workbook" in text
    record = json.loads(text.strip().splitlines()[-1])
    assert record["file"] == "old.xls" and record["reason"].startswith("An old Excel .xls file")


def test_the_rejected_rows_page_shows_the_refused_files_newest_first_with_what_to_do(world, inbox, client, auth):
    drop_three_unreadable_files(inbox)
    import_inbox(None)
    _age(inbox / "rejected" / "broken.xlsx.error.txt", hours=2)
    _age(inbox / "rejected" / "noheader.csv.error.txt", hours=1)
    auth.login(world.dispatcher)

    page = client.get("/intake/rejected").get_data(as_text=True)

    files = page[page.index('id="refused-files"') :]
    assert "Files that could not be read" in files and "(3)" in files
    assert files.index("old.xls") < files.index("noheader.csv") < files.index("broken.xlsx")
    assert "save it as an .xlsx workbook and put that in the inbox again" in files
    assert "Not a readable XLSX workbook (BadZipFile)" in files


def test_the_refused_files_are_shown_in_chinese_to_a_chinese_reader(app, world, compiled_catalogs):
    zh_app = create_app(
        {**app.config, "BABEL_DEFAULT_LOCALE": "zh_CN", "BABEL_TRANSLATION_DIRECTORIES": str(compiled_catalogs)}
    )
    forget_loaded_catalogs()
    try:
        inbox = Path(app.config["INBOX_DIR"])
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
        with zh_app.app_context():
            import_inbox(None)
        client = zh_app.test_client()
        login_through_form(client, "dispatcher")
        page = client.get("/intake/rejected").get_data(as_text=True)
        english = client.get("/intake/rejected?lang=en").get_data(as_text=True)
    finally:
        forget_loaded_catalogs()
        with zh_app.app_context():
            db.engine.dispose()

    text = note(inbox, "old.xls")
    assert text.index("另存为") < text.index("save it as an .xlsx workbook")  # Chinese first, then English
    assert "无法读取的文件" in page and "另存为" in page and "save it as" not in page
    assert "save it as an .xlsx workbook" in english


def test_a_note_written_before_a_file_with_no_note_and_a_damaged_note_still_show(world, inbox, client, auth):
    folder = inbox / "rejected"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"x")
    (folder / "a.csv.error.txt").write_text("a.csv could not be imported (2026-03-05 08:30):\nthe old reason\n")
    (folder / "b.csv").write_bytes(b"x")
    (folder / "c.csv").write_bytes(b"x")
    (folder / "c.csv.error.txt").write_text('{"reason": "%(missing)s is odd", "params": {}}\n{"reason": 5')
    (folder / "d.csv").write_bytes(b"x")
    (folder / "d.csv.error.txt").write_text(
        '{"reason": "Not a CSV or XLSX export (file type %(suffix)s)", "params": {}}'
    )
    auth.login(world.dispatcher)

    response = client.get("/intake/rejected")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "the old reason" in page
    assert "No note says why: open the file to see what is wrong with it." in page
    assert "(4)" in page


def test_only_the_newest_refused_files_are_listed_and_the_others_counted(world, inbox, client, auth):
    folder = inbox / "rejected"
    folder.mkdir()
    for i in range(23):
        (folder / f"f{i:02d}.xls").write_bytes(b"x")
        _age(folder / f"f{i:02d}.xls", hours=23 - i)  # f22 is the newest
    auth.login(world.dispatcher)

    page = client.get("/intake/rejected").get_data(as_text=True)

    assert "f22.xls" in page and "f03.xls" in page and "f02.xls" not in page
    assert "3 older files are in the folder too." in page
    assert "Files that could not be read" not in client.get("/intake/rejected?show=decided").get_data(as_text=True)


def test_no_refused_files_no_section(world, inbox, client, auth):
    auth.login(world.dispatcher)
    assert 'id="refused-files"' not in client.get("/intake/rejected").get_data(as_text=True)
    assert refused_files(20) == ([], 0)


def test_what_the_run_reports_names_the_files_and_counts_them(app):
    two = FilesNotRead([RefusedFile("a.xls", "x"), RefusedFile("b.csv", "y")])
    one = FilesNotRead([RefusedFile("a.xls", "x")])
    assert str(two) == "2 files could not be read: a.xls, b.csv. See them under Rejected rows."
    assert one.text() == "1 file could not be read: a.xls. See them under Rejected rows."


def _age(path: Path, hours: float) -> None:
    stamp = path.stat().st_mtime - hours * 3600
    os.utime(path, (stamp, stamp))


def test_a_run_that_meets_a_file_it_cannot_read_fails_naming_it_and_imports_the_rest(world, inbox):
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    write_csv(inbox / "good.csv", HEADER, rows(2))

    run = intake_run("manual")

    assert (run.status, run.new, run.fetched) == ("failed", 2, 2)
    assert run.error == "inbox: 1 file could not be read: old.xls. See them under Rejected rows."
    assert intake_run("manual").status == "ok"  # the file waits in rejected/: the next run is clean


def test_a_refused_file_renamed_in_rejected_is_named_as_stored_and_as_it_came(world, inbox, client, auth):
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / "old.xls").write_bytes(b"an earlier one")
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")

    run = intake_run("manual")

    assert (inbox / "rejected" / "old-1.xls").read_bytes() == b"\xd0\xcf\x11\xe0"
    assert run.error == (
        "inbox: 1 file could not be read: old-1.xls (renamed from old.xls: that name was taken in rejected/)."
        " See them under Rejected rows."
    )
    text = note(inbox, "old-1.xls")
    assert text.startswith("old-1.xls (renamed from old.xls")
    assert json.loads(text.strip().splitlines()[-1])["file"] == "old-1.xls"
    auth.login(world.dispatcher)
    page = client.get("/intake/rejected").get_data(as_text=True)
    assert "old-1.xls (renamed from old.xls" in page


def test_the_import_result_names_the_refused_file_as_stored(app, inbox):
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / "old.xls").write_bytes(b"an earlier one")
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")

    (refused,) = import_inbox(None).refused

    assert (refused.name, refused.renamed_from) == ("old-1.xls", "old.xls")
    assert (inbox / "rejected" / refused.name).read_bytes() == b"\xd0\xcf\x11\xe0"
