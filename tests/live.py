"""A real server and real browsers for race tests: a threaded werkzeug server over the test app's database,
and people whose requests leave at the same moment (a barrier), each with their own cookies.

The app answers as in production (PROPAGATE_EXCEPTIONS off): a bug is a 500 page, which the tests see.
"""

import sqlite3
import threading
import time
from collections.abc import Callable
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from tests.helpers import PASSWORD


class _NoRedirect(HTTPRedirectHandler):
    """A redirect is an answer to look at (302 = done), not a page to fetch."""

    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: their own session cookie, real HTTP to the server."""

    def __init__(self, base: str):
        self.base = base
        self._opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urlencode(data or {}, doseq=True).encode() if method != "GET" else None
        try:
            with self._opener.open(Request(self.base + path, data=body, method=method), timeout=60) as answer:
                return answer.status, answer.read().decode()
        except HTTPError as answer:
            return answer.code, answer.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        return self.request("POST", path, data)

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def log_in(self, user) -> "Browser":
        status, _body = self.post("/login", {"username": user.username, "password": PASSWORD})
        assert status == 302, f"{user.username} could not log in"
        return self


class LiveServer:
    """The app served by a threaded werkzeug server on a free port, in a thread of the test."""

    def __init__(self, app):
        app.config["PROPAGATE_EXCEPTIONS"] = False
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def browser(self, user=None) -> Browser:
        browser = Browser(self.url)
        return browser.log_in(user) if user is not None else browser

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(30)


def at_once(*requests: Callable[[], tuple[int, str]], meanwhile: Callable[[], None] | None = None) -> list:
    """Send the requests from their own threads, released together by a barrier; their answers in order.
    `meanwhile` runs in the test's thread once they are on their way (e.g. to let go of a lock they wait on)."""
    start = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(i: int, request) -> None:
        start.wait(timeout=30)
        answers[i] = request()

    threads = [threading.Thread(target=send, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    if meanwhile is not None:
        meanwhile()
    for thread in threads:
        thread.join(90)
    return answers


class AnotherWriter:
    """Someone else in the middle of a write, on a connection of their own: on PostgreSQL holding the row of
    one case (SELECT ... FOR UPDATE), on SQLite the database's write lock (BEGIN IMMEDIATE), until `leave`."""

    def __init__(self, url: str, case_id: int):
        self._url = make_url(url)
        if self._url.get_backend_name() == "sqlite":
            self._sqlite = sqlite3.connect(self._url.database, isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
        else:
            self._engine = create_engine(url)
            self._conn = self._engine.connect()
            self._conn.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})

    def wait_for(self, waiting: int) -> None:
        """Return once `waiting` connections wait on the lock. PostgreSQL shows who waits; SQLite does not,
        so there the requests are given half a second to reach it (more would not change what they do)."""
        if self._url.get_backend_name() == "sqlite":
            time.sleep(0.5)
            return
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        with self._engine.connect() as watcher:
            deadline = time.monotonic() + 20
            while watcher.execute(query).scalar() < waiting:
                assert time.monotonic() < deadline, f"fewer than {waiting} requests ever waited on the lock"
                watcher.rollback()  # pg_stat_activity is read once per transaction
                time.sleep(0.01)

    def leave(self) -> None:
        if self._url.get_backend_name() == "sqlite":
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
        else:
            self._conn.rollback()
            self._conn.close()
            self._engine.dispose()
