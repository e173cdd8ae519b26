"""Ending sessions: logout, a password changed or reset, deactivation, sign-out-everywhere, and the user's own
list of their sessions; a cookie kept from before opens nothing."""

import pytest
from sqlalchemy import select

from casework import sessions
from casework.audit import SESSION_ENDED
from casework.extensions import db
from casework.models import AuthEvent, User, UserSession
from tests.helpers import PASSWORD, log_in, login_as, replay, rows_of, sent_to_login

NEW_PASSWORD = "Zq8-walnut-harbour"


@pytest.fixture
def admin_client(app, world):
    client = app.test_client()
    login_as(client, world.admin)
    return client


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
