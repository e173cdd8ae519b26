"""Sessions held on the server (casework.sessions): the cookie is a random key, ending a session deletes its row,
and a cookie kept from before opens nothing. Times are set back in the database; nothing sleeps."""

import hashlib
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select, update

from casework import sessions
from casework.audit import SESSION_ENDED
from casework.extensions import db
from casework.models import AuthEvent, User, UserSession, utcnow
from tests.helpers import PASSWORD, login_as, new_request

KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
NEW_PASSWORD = "Zq8-walnut-harbour"


def log_in(client, user) -> str:
    """Log in through the real form; the session cookie's value."""
    answer = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    new_request()
    return client.get_cookie("session").value


def replay(client, cookie: str, path: str = "/my"):
    """The request a thief makes with a cookie copied earlier."""
    client.set_cookie("session", cookie)
    new_request()
    return client.get(path)


def sent_to_login(answer) -> bool:
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def rows_of(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def set_back(cookie: str, **times: timedelta) -> None:
    """Move the session's created_at / last_seen_at into the past."""
    values = {name: utcnow() - ago for name, ago in times.items()}
    db.session.execute(update(UserSession).where(UserSession.key_hash == sessions.key_hash(cookie)).values(values))
    db.session.commit()


@pytest.fixture
def admin_client(app, world):
    client = app.test_client()
    login_as(client, world.admin)
    return client


# --- the cookie ----------------------------------------------------------------------------------------


def test_the_cookie_holds_only_a_random_key_and_no_part_of_the_password_hash(client, world):
    cookie = log_in(client, world.cadre1)

    assert KEY.match(cookie)
    assert world.cadre1.password_hash[-12:] not in cookie and str(world.cadre1.id) != cookie
    row = db.session.scalar(
        select(UserSession).where(UserSession.key_hash == hashlib.sha256(cookie.encode()).hexdigest())
    )
    assert row is not None and row.user_id == world.cadre1.id
    assert row.ip == "127.0.0.1" and row.created_at <= utcnow()
    assert cookie not in str(row.data) and row.key_hash != cookie


def test_the_session_cookie_is_httponly_and_samesite_lax(client, world):
    set_cookie = client.post("/login", data={"username": world.cadre1.username, "password": PASSWORD}).headers
    header = set_cookie.get("Set-Cookie", "")
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_a_login_gives_a_new_key_and_the_key_from_before_opens_nothing(client, world):
    client.get("/lang/en")  # a visitor's session with something in it: a row
    before = client.get_cookie("session").value
    assert db.session.scalar(select(UserSession).where(UserSession.key_hash == sessions.key_hash(before)))

    after = log_in(client, world.cadre1)

    assert after != before
    assert db.session.scalar(select(UserSession).where(UserSession.key_hash == sessions.key_hash(before))) is None
    assert sent_to_login(replay(client, before))


def test_a_cadres_cookie_outlives_the_browser_until_the_absolute_limit_and_an_office_ones_does_not(app, world):
    app.config["CADRE_SESSION_MAX_HOURS"] = 72
    cadre = app.test_client().post("/login", data={"username": world.cadre1.username, "password": PASSWORD})
    office = app.test_client().post("/login", data={"username": world.dispatcher.username, "password": PASSWORD})

    expires = cadre.headers["Set-Cookie"].split("Expires=")[1].split(";")[0]
    assert parsedate_to_datetime(expires) > utcnow() + timedelta(hours=71)
    assert "Expires" not in office.headers["Set-Cookie"]


def test_a_session_whose_row_went_during_the_request_is_not_brought_back_nor_its_cookie_deleted(client, world):
    """A concurrent request of a login made meanwhile may carry the new key: deleting "the" cookie would end it."""
    cookie = log_in(client, world.cadre1)
    own = rows_of(world.cadre1)[0]

    answer = client.post(f"/account/sessions/{own.id}/end")  # its own row, deleted by the view; then a flash

    assert answer.status_code == 302 and "session=" not in answer.headers.get("Set-Cookie", "")
    assert rows_of(world.cadre1) == []
    assert sent_to_login(replay(client, cookie))


def test_page_views_of_a_visitor_with_an_empty_session_write_no_row(client, world):
    for _ in range(3):
        client.get("/login")
    assert db.session.scalar(select(db.func.count()).select_from(UserSession)) == 0
    assert client.get_cookie("session") is None


def test_last_seen_is_written_at_most_once_a_minute(client, world):
    cookie = log_in(client, world.cadre1)
    client.get("/my")  # the first page after the login writes its new CSRF token
    set_back(cookie, last_seen_at=timedelta(seconds=30))
    seen = rows_of(world.cadre1)[0].last_seen_at

    client.get("/my")
    assert rows_of(world.cadre1)[0].last_seen_at == seen  # within the minute: no write

    set_back(cookie, last_seen_at=timedelta(minutes=2))
    client.get("/my")
    assert rows_of(world.cadre1)[0].last_seen_at > utcnow() - timedelta(minutes=1)


def test_flashes_and_the_locale_live_in_the_row(client, world):
    log_in(client, world.cadre1)
    client.get("/lang/zh_CN")
    assert "zh_CN" in str(rows_of(world.cadre1)[0].data)

    client.post("/account/sessions/end-others")  # flashes how many ended, shown on the next page
    assert "Sessions ended elsewhere: 0." in client.get("/account/sessions").get_data(as_text=True)


# --- ending sessions -------------------------------------------------------------------------------------


def test_a_cookie_kept_from_before_logout_gets_the_login_page(client, world):
    cookie = log_in(client, world.cadre1)
    assert client.get("/my").status_code == 200

    client.post("/logout")

    assert rows_of(world.cadre1) == []
    assert sent_to_login(replay(client, cookie))
    kinds = db.session.scalars(select(AuthEvent.kind).where(AuthEvent.user_id == world.cadre1.id)).all()
    assert "logout" in kinds


def test_a_password_changed_by_the_user_ends_the_other_sessions_and_keeps_this_one(app, world):
    here, elsewhere = app.test_client(), app.test_client()
    kept, stolen = log_in(here, world.cadre1), log_in(elsewhere, world.cadre1)

    with app.test_request_context(headers={"Cookie": f"session={kept}"}):
        assert sessions.end_other_sessions(world.cadre1, keep_current=True) == 1
        db.session.commit()

    assert sent_to_login(replay(elsewhere, stolen))
    assert replay(here, kept).status_code == 200


def test_a_password_set_by_an_admin_ends_every_session(app, world, admin_client):
    user_client = app.test_client()
    cookie = log_in(user_client, world.cadre1)

    answer = admin_client.post(f"/admin/users/{world.cadre1.id}/password", data={"password": NEW_PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]

    assert rows_of(world.cadre1) == []
    assert sent_to_login(replay(user_client, cookie))


def test_deactivation_ends_every_session(app, world, admin_client):
    user_client = app.test_client()
    cookie = log_in(user_client, world.dispatcher)

    form = {"name": world.dispatcher.name, "phone": "", "role": "dispatcher"}  # "active" unticked
    answer = admin_client.post(f"/admin/users/{world.dispatcher.id}", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]

    assert rows_of(world.dispatcher) == []
    assert sent_to_login(replay(user_client, cookie, "/queue"))


def test_an_admins_sign_out_everywhere_ends_every_session(app, world, admin_client):
    phone, desk = app.test_client(), app.test_client()
    cookies = [log_in(phone, world.cadre1), log_in(desk, world.cadre1)]

    answer = admin_client.post(f"/admin/users/{world.cadre1.id}/sessions/end")
    assert answer.status_code == 302

    assert rows_of(world.cadre1) == []
    assert all(sent_to_login(replay(c, cookie)) for c, cookie in zip((phone, desk), cookies, strict=True))
    event = db.session.scalar(select(AuthEvent).where(AuthEvent.kind == SESSION_ENDED))
    assert (event.user_id, event.actor_id) == (world.cadre1.id, world.admin.id)


def test_the_admins_user_page_offers_sign_out_everywhere(world, admin_client):
    page = admin_client.get(f"/admin/users/{world.cadre1.id}").get_data(as_text=True)
    assert f"/admin/users/{world.cadre1.id}/sessions/end" in page


# --- limits ----------------------------------------------------------------------------------------------


def test_a_session_idle_past_the_limit_gets_the_login_page(client, world):
    cookie = log_in(client, world.dispatcher)
    set_back(cookie, last_seen_at=timedelta(minutes=121))

    assert sent_to_login(replay(client, cookie, "/queue"))
    assert rows_of(world.dispatcher) == []  # deleted when met, and recorded
    assert db.session.scalar(select(AuthEvent.detail).where(AuthEvent.kind == SESSION_ENDED)) == "idle limit"


def test_a_session_past_its_absolute_lifetime_gets_the_login_page_though_used_a_minute_ago(client, world):
    cookie = log_in(client, world.dispatcher)
    set_back(cookie, created_at=timedelta(hours=12, minutes=1), last_seen_at=timedelta(minutes=1))

    assert sent_to_login(replay(client, cookie, "/queue"))


def test_a_session_within_its_limits_lives(client, world):
    cookie = log_in(client, world.dispatcher)
    set_back(cookie, created_at=timedelta(hours=11), last_seen_at=timedelta(minutes=119))

    assert replay(client, cookie, "/queue").status_code == 200


def test_cadres_may_be_given_longer_sessions(app, client, world):
    app.config.update(CADRE_SESSION_IDLE_MINUTES=600, CADRE_SESSION_MAX_HOURS=72)
    cadre = log_in(client, world.cadre1)
    set_back(cadre, created_at=timedelta(hours=48), last_seen_at=timedelta(hours=5))
    assert replay(client, cadre).status_code == 200

    dispatcher = log_in(app.test_client(), world.dispatcher)
    set_back(dispatcher, created_at=timedelta(hours=48), last_seen_at=timedelta(hours=5))
    assert sent_to_login(replay(client, dispatcher, "/queue"))


def test_a_form_posted_after_the_session_expired_keeps_what_was_typed(client, world):
    cookie = log_in(client, world.dispatcher)
    set_back(cookie, last_seen_at=timedelta(hours=3))
    client.set_cookie("session", cookie)
    new_request()

    answer = client.post("/disputes/new", data={"content": "两户因宅基地边界争执"})

    assert answer.status_code in (400, 401)
    assert "两户因宅基地边界争执" in answer.get_data(as_text=True)


def test_the_purge_deletes_expired_sessions_and_keeps_the_others(app, world):
    expired, alive = app.test_client(), app.test_client()
    old = log_in(expired, world.dispatcher)
    log_in(alive, world.cadre1)
    set_back(old, last_seen_at=timedelta(hours=3))

    assert sessions.purge_expired() == 1
    assert rows_of(world.dispatcher) == [] and len(rows_of(world.cadre1)) == 1


# --- my sessions -----------------------------------------------------------------------------------------


def test_my_sessions_lists_each_browser_and_marks_this_one(app, client, world):
    log_in(client, world.cadre1)
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 13) Chrome/120.0 Mobile Safari/537.36"
    log_in(phone, world.cadre1)

    page = client.get("/account/sessions").get_data(as_text=True)

    assert "Chrome on Android" in page
    assert page.count("This session") == 1
    assert page.count('/end"') == 1  # a button for the other session only


def test_ending_the_other_sessions_keeps_this_one(app, client, world):
    mine = log_in(client, world.cadre1)
    other = app.test_client()
    theirs = log_in(other, world.cadre1)

    answer = client.post("/account/sessions/end-others")

    assert answer.status_code == 302
    assert sent_to_login(replay(other, theirs))
    assert replay(client, mine, "/account/sessions").status_code == 200


def test_ending_one_other_session(app, client, world):
    log_in(client, world.cadre1)
    other = app.test_client()
    theirs = log_in(other, world.cadre1)
    row = db.session.scalar(select(UserSession).where(UserSession.key_hash == sessions.key_hash(theirs)))

    assert client.post(f"/account/sessions/{row.id}/end").status_code == 302
    assert sent_to_login(replay(other, theirs))


def test_nobody_ends_another_persons_session(app, client, world):
    log_in(client, world.cadre1)
    other = app.test_client()
    theirs = log_in(other, world.cadre1b)
    row = db.session.scalar(select(UserSession).where(UserSession.key_hash == sessions.key_hash(theirs)))

    assert client.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert replay(other, theirs).status_code == 200


def test_users_table_has_no_session_secret(world):
    """get_id is the id alone: nothing of the password is remembered anywhere."""
    assert world.cadre1.get_id() == str(world.cadre1.id)
    assert not hasattr(User, "matches_session")


# --- one session, many requests at once ------------------------------------------------------------------


@pytest.fixture
def live(app):
    from tests.live import LiveServer

    server = LiveServer(app)
    yield server
    server.stop()


def test_requests_at_once_on_one_session_never_answer_5xx(live, world):
    """Page views that all want to write last seen, pages that change the session's data, and a logout,
    on one session at the same moment: each answers, none with a 5xx."""
    from tests.live import at_once

    browser = live.browser(world.cadre1)
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


def test_a_password_changed_on_the_password_page_ends_the_other_sessions_and_keeps_this_one(app, world):
    here, elsewhere = app.test_client(), app.test_client()
    kept, stolen = log_in(here, world.cadre1), log_in(elsewhere, world.cadre1)

    form = {"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    answer = here.post("/password", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]

    renewed = here.get_cookie("session").value  # the session stays, under a new key (security review, issue 9)
    assert renewed != kept
    assert sent_to_login(replay(elsewhere, stolen))
    assert replay(here, renewed).status_code == 200
