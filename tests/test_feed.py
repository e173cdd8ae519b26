"""The HTTP feed over real HTTP against the fake platform: paging, cursor, duplicates, every failure."""

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import event, func, select

from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake import feed
from casework.intake.run import intake_run
from casework.models import Case, RejectedRow

TOKEN = "s3cret-token"


@pytest.fixture
def platform(app, world):
    fake = FakePlatform(generate_tickets(5, villages=("东风村", "红旗村", "向阳村")), token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_PAGE_SIZE=2, FEED_TIMEOUT=5)
        yield fake


def order_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def numbers() -> set[str]:
    return set(db.session.scalars(select(Case.number)))


def ticket_gets(platform: FakePlatform) -> list[str]:
    return [r for r in platform.requests if r.startswith("GET /tickets")]


def test_a_run_pages_until_next_is_null_and_keeps_the_cursor(platform):
    run = intake_run("manual")

    assert (run.status, run.fetched, run.new, run.duplicates, run.source) == ("ok", 5, 5, 0, "inbox+feed")
    assert numbers() == {t["order_no"] for t in platform.tickets}
    assert [r.split("?")[1] for r in ticket_gets(platform)] == [
        "since=&limit=2",
        "since=2&limit=2",
        "since=4&limit=2",
        "since=5&limit=2",
    ]
    assert feed.load_cursor() == "5"


def test_imported_tickets_get_their_village_and_deadlines(platform, world):
    platform.tickets[0].update(village="", address="东风村三组村口")
    intake_run("manual")

    case = db.session.scalar(select(Case).where(Case.number == platform.tickets[0]["order_no"]))
    assert case.village_id == world.v1.id
    assert case.due_at is not None and case.ack_due_at is not None
    assert [e.action for e in case.events] == ["receive"]


def test_the_next_run_asks_from_the_cursor_and_counts_a_resent_order_as_duplicate(platform):
    intake_run("manual")
    resent = dict(platform.tickets[1])
    platform.add(*generate_tickets(2, start=100, villages=("红旗村",)), resent)
    platform.requests.clear()

    run = intake_run("manual")

    assert (run.fetched, run.new, run.duplicates) == (3, 2, 1)
    assert ticket_gets(platform)[0].endswith("since=5&limit=2")
    assert order_count() == 7


def test_nothing_new_is_one_request_and_changes_nothing(platform):
    intake_run("manual")
    platform.requests.clear()

    run = intake_run("manual")

    assert (run.status, run.fetched, run.new) == ("ok", 0, 0)
    assert ticket_gets(platform) == ["GET /tickets?since=5&limit=2"]


def test_a_failure_on_the_third_page_keeps_pages_one_and_two_and_their_cursor(platform):
    platform.add(*generate_tickets(1, start=200))  # 6 tickets: three full pages
    platform.fail_on_page(3)

    run = intake_run("manual")

    assert run.status == "failed"
    assert "HTTP 500" in run.error
    assert (run.fetched, run.new) == (4, 4)
    assert numbers() == {t["order_no"] for t in platform.tickets[:4]}
    assert feed.load_cursor() == "4"

    platform.heal()
    platform.requests.clear()
    again = intake_run("manual")
    assert (again.status, again.new) == ("ok", 2)
    assert ticket_gets(platform)[0].endswith("since=4&limit=2")
    assert order_count() == 6


def test_a_page_the_database_cannot_commit_is_not_kept_and_its_cursor_not_saved(platform):
    third = platform.tickets[2]["order_no"]  # on page 2

    def fail_with_page_two(session):
        if session.execute(select(Case.id).where(Case.number == third)).first():
            raise RuntimeError("disk full")

    event.listen(db.session(), "before_commit", fail_with_page_two)
    try:
        run = intake_run("manual")
    finally:
        event.remove(db.session(), "before_commit", fail_with_page_two)

    assert run.status == "failed" and "disk full" in run.error
    assert numbers() == {t["order_no"] for t in platform.tickets[:2]}
    assert feed.load_cursor() == "2"
    assert (run.fetched, run.new) == (2, 2)
    assert intake_run("manual").new == 3


def test_a_page_that_is_not_json_imports_nothing_and_is_retried(platform, caplog):
    platform.bad_json = True

    with caplog.at_level(logging.WARNING):
        run = intake_run("manual")

    assert run.status == "failed"
    assert "not valid JSON" in run.error
    assert "not valid JSON" in caplog.text
    assert order_count() == 0
    assert feed.load_cursor() == ""
    platform.heal()
    assert intake_run("manual").new == 5


def test_a_json_answer_that_is_not_a_page_imports_nothing(platform):
    platform.tickets.insert(1, "a string, not a ticket")

    run = intake_run("manual")

    assert run.status == "failed"
    assert "not a page of tickets" in run.error
    assert order_count() == 0


def test_an_http_error_ends_the_run_cleanly(platform):
    platform.fail_status = 503

    run = intake_run("manual")

    assert run.status == "failed" and run.finished_at is not None
    assert "HTTP 503" in run.error
    assert order_count() == 0


def test_a_platform_slower_than_the_timeout_ends_the_run_cleanly(platform, app):
    app.config["FEED_TIMEOUT"] = 0.2
    platform.slow = 10

    run = intake_run("manual")

    assert run.status == "failed"
    assert "timed out" in run.error
    assert order_count() == 0


def test_a_refused_connection_ends_the_run_cleanly(app, world):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config.update(FEED_URL=f"http://127.0.0.1:{port}", FEED_TOKEN=TOKEN)

    run = intake_run("manual")

    assert run.status == "failed"
    assert "cannot reach the platform" in run.error


def test_the_token_goes_as_a_bearer_header_and_a_wrong_one_is_refused(platform, app):
    app.config["FEED_TOKEN"] = "wrong"

    run = intake_run("manual")

    assert run.status == "failed"
    assert "HTTP 401" in run.error
    assert order_count() == 0


def test_a_ticket_with_problems_is_kept_as_rejected_and_the_others_import(platform):
    platform.tickets[2]["content"] = "   "
    platform.tickets[3]["received_at"] = "yesterday-ish"

    run = intake_run("manual")

    assert (run.status, run.new, run.rejected) == ("ok", 3, 2)
    rejected = db.session.scalars(select(RejectedRow).order_by(RejectedRow.id)).all()
    assert [r.source_name for r in rejected] == ["feed", "feed"]
    assert rejected[0].raw["order_no"] == platform.tickets[2]["order_no"]
    assert rejected[1].run_id == run.id


def test_without_a_feed_url_the_run_reads_the_inbox_only(app, world):
    run = intake_run("manual")

    assert (run.status, run.source, run.fetched) == ("ok", "inbox", 0)


def test_a_cursor_the_database_cannot_store_is_refused_as_a_bad_next(answering_with):
    # Saved after its page is committed, a NUL in it (PostgreSQL) or a lone surrogate (any UTF-8 store) would
    # fail every run at the same place: the platform's fault, named as such, before anything is imported.
    for cursor in ("a\u0000b", "\ud800", "x\x1by"):
        client = answering_with({"tickets": [], "next": cursor})
        with pytest.raises(feed.FeedError) as refused:
            feed.fetch_page(client, "", 10)
        assert refused.value.message == feed.BAD_NEXT


@pytest.fixture
def answering_with():
    """A local server answering one fixed JSON body to every request; gives a client of it."""
    servers = []

    def serve(body: dict) -> feed.FeedClient:
        data = json.dumps(body).encode("utf-8", "surrogatepass")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return feed.FeedClient(f"http://127.0.0.1:{server.server_port}", None, 5.0)

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
