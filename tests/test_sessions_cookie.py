"""Sessions held on the server (casework.sessions): the cookie is a random key, HttpOnly, SameSite=Lax and new
at each login; the row keeps the session's data and when it was last seen. Times are set back in the database."""

import hashlib
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from casework import sessions
from casework.extensions import db
from casework.models import UserSession, utcnow
from tests.helpers import PASSWORD, log_in, replay, rows_of, sent_to_login, set_back

KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


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
