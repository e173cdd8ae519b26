"""Issue 9, item 7: the password policy, the change forced after an admin set a password, and a user's own
change of password (recorded in the login audit)."""

import pytest
from sqlalchemy import select

from casework import audit, people
from casework.extensions import db
from casework.models import AuthEvent, User
from casework.passwords import COMMON, check_policy
from casework.refusals import InvalidInput
from tests.helpers import PASSWORD, login_as, new_request

NEW = "a-fresh-pass-9"


# --- the policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short-pw1", "at least 10 characters"),
        ("1234567890", "most common"),
        ("QwertyUiop", "most common"),  # in any case
        ("password123", "most common"),
        ("Zhang.Wei.88", "may not be the username"),  # the username, in another case
    ],
)
def test_the_policy_refuses_short_common_and_username_passwords(app, password, says):
    with pytest.raises(InvalidInput) as refused:
        check_policy(password, "zhang.wei.88")
    assert says in str(refused.value) and refused.value.field == "password"


def test_the_policy_accepts_a_long_uncommon_password(app):
    assert check_policy(NEW, "zhang") == NEW


def test_the_common_list_is_short_and_has_the_usual_ones(app):
    assert {"12345678", "password", "123456789", "qwertyuiop", "admin123"} <= COMMON and 80 <= len(COMMON) <= 200


def test_the_minimum_length_is_a_setting(app):
    app.config["PASSWORD_MIN_LENGTH"] = 16
    with pytest.raises(InvalidInput):
        check_policy("fifteen-chars-x", "someone")


def test_the_admin_form_refuses_a_common_password(world, client):
    login_as(client, world.admin)
    data = {"username": "zhou", "name": "周敏", "role": "dispatcher", "password": "qwertyuiop"}
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422 and "most common" in response.get_data(as_text=True)


# --- forced change after an admin set the password ----------------------------------------------


def _log_in(client, username: str, password: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    new_request()
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302


def test_a_user_an_admin_created_must_choose_a_password_before_any_page(world, client):
    user = people.create_user(world.admin, username="zhou", name="周敏", role="dispatcher", password="set-by-admin-1")
    db.session.commit()
    assert user.must_change_password
    _log_in(client, "zhou", "set-by-admin-1")
    for page in ("/queue", "/", "/stats/", "/cases/1"):
        assert client.get(page).headers.get("Location") == "/password", page
    form = client.get("/password").get_data(as_text=True)
    assert "An administrator set your password" in form
    data = {"current": "set-by-admin-1", "new": NEW, "repeated": NEW}
    assert client.post("/password", data=data).status_code == 302
    assert client.get("/queue").status_code == 200
    assert not db.session.get(User, user.id).must_change_password


def test_a_password_reset_by_an_admin_must_be_changed_and_is_recorded_with_the_admin(world, client):
    login_as(client, world.admin)
    assert client.post(f"/admin/users/{world.cadre1.id}/password", data={"password": "reset-by-admin"}).status_code
    db.session.expire_all()
    assert db.session.get(User, world.cadre1.id).must_change_password
    event = db.session.scalar(select(AuthEvent).where(AuthEvent.kind == audit.PASSWORD))
    assert (event.user_id, event.actor_id) == (world.cadre1.id, world.admin.id)
    _log_in(client, "cadre1", "reset-by-admin")
    assert client.get("/my").headers.get("Location") == "/password"


def test_a_demo_account_is_never_forced_to_change(world, client):
    world.dispatcher.demo, world.dispatcher.must_change_password = True, True
    db.session.commit()
    _log_in(client, "dispatcher", PASSWORD)
    assert client.get("/queue").status_code == 200


def test_logging_out_stays_possible_while_a_change_is_due(world, client):
    world.dispatcher.must_change_password = True
    db.session.commit()
    _log_in(client, "dispatcher", PASSWORD)
    assert client.post("/logout").headers.get("Location", "").endswith("/login")


# --- a user's own change ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"current": "not-mine-at-all", "new": NEW, "repeated": NEW}, 422, "not your current password"),
        ({"current": PASSWORD, "new": NEW, "repeated": NEW + "x"}, 422, "differ"),
        ({"current": PASSWORD, "new": "admin12345", "repeated": "admin12345"}, 422, "most common"),
        ({"current": PASSWORD, "new": "short", "repeated": "short"}, 422, "at least 10"),
        ({"current": PASSWORD, "new": "Dispatcher", "repeated": "Dispatcher"}, 422, "may not be the username"),
    ],
)
def test_a_new_password_is_refused_at_its_field_with_a_reason(world, client, data, status, says):
    login_as(client, world.dispatcher)
    response = client.post("/password", data=data)
    assert response.status_code == status and says in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.dispatcher.id).check_password(PASSWORD)


def test_a_user_changes_their_own_password_and_it_is_recorded(world, client, auth):
    login_as(client, world.dispatcher)
    data = {"current": PASSWORD, "new": NEW, "repeated": NEW}
    assert client.post("/password", data=data).status_code == 302
    event = db.session.scalar(select(AuthEvent).where(AuthEvent.kind == audit.PASSWORD))
    assert (event.user_id, event.actor_id) == (world.dispatcher.id, None)
    with client.session_transaction() as session:
        session.clear()
    assert auth.login(world.dispatcher, PASSWORD).status_code == 401
    assert auth.login(world.dispatcher, NEW).status_code == 302


def test_the_password_page_needs_a_login(client):
    assert "/login" in client.get("/password").headers["Location"]


def test_changing_ones_own_password_ends_the_other_sessions_but_not_this_one(world, app):
    """Two browsers logged in through the real form; the new password is chosen in the first."""
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        assert browser.post("/login", data={"username": "dispatcher", "password": PASSWORD}).status_code == 302
        new_request()
    data = {"current": PASSWORD, "new": NEW, "repeated": NEW}
    assert here.post("/password", data=data).status_code == 302
    new_request()
    assert here.get("/queue").status_code == 200
    new_request()
    assert "/login" in elsewhere.get("/queue").headers["Location"]
