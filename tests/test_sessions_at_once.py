"""One session, many requests at once: none answers a 5xx, and a session change the database is too busy to save
is lost (logged) rather than failing the page."""

from datetime import timedelta

from sqlalchemy import update

from casework.extensions import db
from casework.models import UserSession, utcnow
from tests.helpers import log_in


def test_requests_at_once_on_one_session_never_answer_5xx(live_server, world):
    """Page views that all want to write last seen, pages that change the session's data, and a logout,
    on one session at the same moment: each answers, none with a 5xx."""
    from tests.live import at_once

    browser = live_server.browser(world.cadre1)
    browser.get("/my")
    answers = []
    for _round in range(3):
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
        pages = [lambda: browser.get("/my")] * 6 + [lambda: browser.get("/lang/en")] * 3
        answers += at_once(*pages, lambda: browser.get("/account/sessions"))
    answers += at_once(*[lambda: browser.get("/my")] * 6, lambda: browser.post("/logout", {}))

    assert [status for status, _body in answers if status >= 500] == []
    assert sent_to_login_status(browser.get("/my"))


def sent_to_login_status(answer) -> bool:
    return answer[0] == 302


class SessionRowsLocked:
    """Someone else writing meanwhile: SQLite's write lock, or PostgreSQL's lock on the session rows."""

    def __init__(self, url: str):
        import sqlite3

        from sqlalchemy import create_engine, make_url, text

        self.sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.sqlite:
            self.conn = sqlite3.connect(make_url(url).database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(url)
            self.conn = self.engine.connect()
            self.conn.execute(text("SELECT id FROM user_sessions FOR UPDATE"))

    def leave(self) -> None:
        self.conn.rollback() if not self.sqlite else self.conn.execute("ROLLBACK")
        self.conn.close()
        if not self.sqlite:
            self.engine.dispose()


def test_a_session_change_that_waits_past_the_lock_timeout_still_answers_the_page(app, client, world):
    """The page is answered before the session is saved: a busy database loses the change (logged), not a 500."""
    log_in(client, world.cadre1)
    app.config.update(PROPAGATE_EXCEPTIONS=False, DATABASE_BUSY_TIMEOUT=0.2)
    db.session.remove()
    db.engine.dispose()  # new connections read the shorter wait
    other = SessionRowsLocked(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        answer = client.get("/lang/en")  # changes the session's data
    finally:
        other.leave()
    assert answer.status_code == 302
