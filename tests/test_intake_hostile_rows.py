"""Issue 8, section 1: one row or ticket never stops intake.

Characters the database cannot store are removed (docs/feed.md), a row the database still refuses at
insert time goes to the rejected rows with the database's reason while its neighbours import, and the
same rejected row read again is kept once.
"""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text

from casework.demo.fake_platform import FakePlatform, serving
from casework.extensions import db
from casework.intake import feed
from casework.intake.ingest import REFUSED_BY_DATABASE, ingest
from casework.intake.run import intake_run
from casework.models import Case, IntakeRun, RejectedRow

TOKEN = "t0ken"


def ticket(order_no: str, content: str, **kw) -> dict:
    return {"order_no": order_no, "received_at": "2026-12-01T09:00:00+08:00", "content": content} | kw


def row(n: int, **kw) -> dict:
    return {"order_no": f"GD{n:08d}", "received_at": "2026-12-01 09:00", "content": f"路灯不亮 {n}", "line": n + 1} | kw


def contents() -> dict[str, str]:
    return {number: content for number, content in db.session.execute(select(Case.number, Case.content))}


def rejected() -> list[RejectedRow]:
    return list(db.session.scalars(select(RejectedRow).order_by(RejectedRow.id)))


@pytest.fixture
def platform(app):
    fake = FakePlatform(token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_PAGE_SIZE=10, FEED_TIMEOUT=5)
        yield fake


@pytest.fixture
def run(app):
    r = IntakeRun(slot_key="hostile-rows", trigger="manual", source="inbox")
    db.session.add(r)
    db.session.commit()
    return r


# --- characters the database cannot store ----------------------------------------------------------


def test_a_feed_ticket_with_a_nul_is_imported_without_it_and_its_neighbours_too(platform):
    platform.add(ticket("A", "before"), ticket("B", "has a \u0000 NUL"), ticket("C", "after"))

    first = intake_run("manual")

    assert (first.status, first.fetched, first.new, first.rejected) == ("ok", 3, 3, 0)
    assert contents() == {"A": "before", "B": "has a  NUL", "C": "after"}
    assert feed.load_cursor() == "3"


def test_a_feed_ticket_with_a_nul_gives_the_same_outcome_on_every_run(platform):
    platform.add(ticket("A", "before"), ticket("B", "has a \u0000 NUL"), ticket("C", "after"))
    intake_run("manual")
    platform.add(ticket("D", "later \x07 bell"))

    second = intake_run("manual")

    assert (second.status, second.fetched, second.new, second.rejected) == ("ok", 1, 1, 0)
    assert contents() == {"A": "before", "B": "has a  NUL", "C": "after", "D": "later  bell"}
    assert feed.load_cursor() == "4"


def test_every_field_of_a_ticket_is_cleaned_before_it_is_stored(platform):
    dirty = "\u0000\x1b\x7f\ud800"
    platform.add(
        ticket(
            "A\u0000",
            f"con{dirty}tent",
            caller_name=f"王{dirty}五",
            caller_phone=f"138{dirty}12345678",
            category=f"道{dirty}路",
            address=f"三{dirty}组",
            request_type=f"投{dirty}诉",
            urgency=f"紧{dirty}急",
        )
    )

    assert intake_run("manual").status == "ok"

    case = db.session.scalar(select(Case))
    stored = (case.number, case.content, case.caller_name, case.caller_phone, case.category, case.address)
    assert stored == ("A", "content", "王五", "13812345678", "道路", "三组")
    assert (case.request_type, case.urgency) == ("投诉", "紧急")


def test_an_inbox_row_with_a_nul_is_imported_and_the_next_file_comes_in(app):
    inbox = Path(app.config["INBOX_DIR"])
    inbox.mkdir(parents=True)
    (inbox / "a.csv").write_bytes("工单编号,来电时间,诉求内容\nX,2026-12-01 09:00,a\u0000b\n".encode())
    (inbox / "b.csv").write_bytes("工单编号,来电时间,诉求内容\nY,2026-12-01 10:00,next file\n".encode())

    run = intake_run("manual")

    assert (run.status, run.new, run.rejected) == ("ok", 2, 0)
    assert contents() == {"X": "ab", "Y": "next file"}
    assert not [p for p in inbox.iterdir() if p.is_file()]  # both moved out of the inbox


def test_the_raw_fields_of_a_rejected_row_are_cleaned(app, run):
    result = ingest([row(1, received_at="not a time\u0000", caller_name="张\ud800三")], run, "x\u0000.csv")
    db.session.commit()

    assert result.rejected == 1
    kept = rejected()[0]
    assert (kept.source_name, kept.raw["received_at"], kept.raw["caller_name"]) == ("x.csv", "not a time", "张三")


def test_a_source_name_is_cleaned_and_cut_to_its_column(app, run):
    name = "\udcb5" + "长" * 300 + ".csv"  # a GBK file name on a UTF-8 file system arrives with a surrogate

    result = ingest([row(1), row(2, order_no="")], run, name)
    db.session.commit()

    assert (result.new, result.rejected) == (1, 1)
    assert rejected()[0].source_name == "长" * 200
    event_source = db.session.scalar(select(Case)).events[0].data["source"]
    assert event_source == "长" * 200


# --- a row the database refuses at insert time -------------------------------------------------------

REFUSE = "refuse-me"


@pytest.fixture
def refusing_trigger(app):
    """A trigger that refuses any order whose content holds REFUSE: a real database-level failure of one
    row, on either database, that no normalisation can foresee."""
    if db.engine.dialect.name == "postgresql":
        create = [
            f"""CREATE FUNCTION refuse_me() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.content LIKE '%{REFUSE}%' THEN
                RAISE EXCEPTION 'content refused by a check (100%%)' USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$""",
            "CREATE TRIGGER refuse_me BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_me()",
        ]
        drop = ["DROP TRIGGER IF EXISTS refuse_me ON cases", "DROP FUNCTION IF EXISTS refuse_me()"]
    else:
        create = [
            f"""CREATE TRIGGER refuse_me BEFORE INSERT ON cases WHEN NEW.content LIKE '%{REFUSE}%'
            BEGIN SELECT RAISE(ABORT, 'content refused by a check (100%)'); END"""
        ]
        drop = ["DROP TRIGGER IF EXISTS refuse_me"]
    with db.engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    yield
    db.session.rollback()
    with db.engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))


def test_a_row_refused_at_insert_goes_to_rejected_rows_and_its_neighbours_import(refusing_trigger, run):
    rows = [row(1), row(2, content=f"please {REFUSE}"), row(3)]

    result = ingest(rows, run, "export.csv")
    db.session.commit()

    assert (result.fetched, result.new, result.duplicates, result.rejected) == (3, 2, 0, 1)
    assert set(contents()) == {"GD00000001", "GD00000003"}
    kept = rejected()[0]
    assert (kept.line, kept.raw["content"], kept.status) == (3, f"please {REFUSE}", "open")
    explanation, database_says = kept.reason.splitlines()
    assert explanation == REFUSED_BY_DATABASE
    assert database_says == "content refused by a check (100％)"  # a % would be read as a format


def test_a_row_refused_at_insert_does_not_stop_the_feed_and_is_kept_once(refusing_trigger, platform):
    platform.add(ticket("A", "before"), ticket("B", f"{REFUSE} now"), ticket("C", "after"))

    first = intake_run("manual")
    feed.save_cursor("")  # the platform's page read again (after `next: null`, or a crash before the cursor)
    db.session.commit()
    second = intake_run("manual")

    assert (first.status, first.new, first.rejected) == ("ok", 2, 1)
    assert (second.status, second.new, second.duplicates, second.rejected) == ("ok", 0, 3, 0)
    assert set(contents()) == {"A", "C"}
    assert [r.raw["order_no"] for r in rejected()] == ["B"]


def test_the_rejected_rows_page_shows_the_database_reason_whatever_it_says(refusing_trigger, run, world, client, auth):
    ingest([row(1, content=f"please {REFUSE}")], run, "export.csv")
    db.session.commit()
    auth.login(world.dispatcher)

    listed = client.get("/intake/rejected")
    opened = client.get(f"/intake/rejected/{rejected()[0].id}")

    assert (listed.status_code, opened.status_code) == (200, 200)
    for page in (listed.get_data(as_text=True), opened.get_data(as_text=True)):
        assert "content refused by a check (100％)" in page


def test_a_corrected_row_the_database_still_refuses_shows_the_form_again_with_its_reason(
    refusing_trigger, run, world, client, auth
):
    ingest([row(1, content=f"please {REFUSE}")], run, "export.csv")
    db.session.commit()
    kept = rejected()[0]
    auth.login(world.dispatcher)

    answer = client.post(f"/intake/rejected/{kept.id}", data=kept.raw | {"content": f"still {REFUSE}"})

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert REFUSED_BY_DATABASE in page and "content refused by a check (100％)" in page
    assert f"still {REFUSE}" in page  # the typing kept
    db.session.expire_all()
    assert (rejected()[0].status, db.session.scalar(select(func.count()).select_from(Case))) == ("open", 0)


# --- rejected rows are idempotent ---------------------------------------------------------------------


def test_the_same_rejected_row_read_twice_is_kept_once_and_counted_as_a_duplicate(app, run):
    bad = row(1, received_at="soon")

    first = ingest([bad, row(2)], run, "export.csv")
    again = ingest([dict(bad), row(2)], run, "export.csv")
    db.session.commit()

    assert (first.rejected, first.new) == (1, 1)
    assert (again.fetched, again.new, again.duplicates, again.rejected) == (2, 0, 2, 0)
    assert len(rejected()) == 1


def test_the_same_row_on_another_line_or_from_another_source_is_another_rejected_row(app, run):
    ingest([row(1, received_at="soon")], run, "export.csv")
    ingest([row(1, received_at="soon", line=9)], run, "export.csv")
    ingest([row(1, received_at="soon")], run, "other.csv")
    db.session.commit()

    assert [(r.source_name, r.line) for r in rejected()] == [("export.csv", 2), ("export.csv", 9), ("other.csv", 2)]


def test_a_feed_page_read_again_after_next_null_keeps_its_rejected_ticket_once(platform):
    platform.add(ticket("A", "fine"), ticket("B", ""))  # B has no content

    intake_run("manual")
    platform.add(ticket("C", "new"))
    feed.save_cursor("")  # as if the platform had answered the last page with next: null
    db.session.commit()
    second = intake_run("manual")

    assert (second.fetched, second.new, second.duplicates, second.rejected) == (3, 1, 2, 0)
    assert [r.raw["order_no"] for r in rejected()] == ["B"]


def test_an_inbox_file_read_again_keeps_its_rejected_rows_once(app):
    inbox = Path(app.config["INBOX_DIR"])
    inbox.mkdir(parents=True)
    body = "工单编号,来电时间,诉求内容\nX,2026-12-01 09:00,fine\nY,never,bad time\n"
    (inbox / "a.csv").write_text(body, encoding="utf-8")
    intake_run("manual")
    (inbox / "a.csv").write_text(body + "Z,2026-12-01 10:00,one more\n", encoding="utf-8")  # re-exported

    second = intake_run("manual")

    assert (second.fetched, second.new, second.duplicates, second.rejected) == (3, 1, 2, 0)
    assert [(r.raw["order_no"], r.line) for r in rejected()] == [("Y", 3)]


# --- committing in batches ----------------------------------------------------------------------------


def test_an_import_committing_each_batch_lets_another_connection_write_between_batches(app, run, monkeypatch):
    """A second connection that may not wait at all (busy timeout 0) writes after each batch's commit: on
    SQLite that only succeeds if the import holds no write lock then; it also sees each batch committed."""
    monkeypatch.setattr("casework.intake.ingest.BATCH", 3)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    seen, run_id = [], run.id

    def write_between_batches(session, transaction):
        if transaction.parent is not None:  # a savepoint released: still inside the batch's transaction
            return
        with other.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=0")  # a lock still held fails at once
            seen.append(conn.scalar(select(func.count()).select_from(Case.__table__)))
            conn.execute(text("UPDATE intake_runs SET heartbeat_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": run_id})

    event.listen(db.session, "after_transaction_end", write_between_batches)
    try:
        result = ingest([row(n) for n in range(1, 9)], run, "big.csv", commit_each_batch=True)
    finally:
        event.remove(db.session, "after_transaction_end", write_between_batches)
        other.dispose()

    assert result.new == 8
    assert seen == [3, 6, 8]
