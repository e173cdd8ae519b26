"""A session's limits: idle time and absolute lifetime (longer for cadres), typing kept past them, and the purge.
Times are set back in the database; nothing sleeps."""

from datetime import timedelta

from sqlalchemy import select

from casework import sessions
from casework.audit import SESSION_ENDED
from casework.extensions import db
from casework.models import AuthEvent
from tests.helpers import log_in, new_request, replay, rows_of, sent_to_login, set_back


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
