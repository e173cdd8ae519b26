"""Logging in with a second factor, through the real forms: the right password alone does not log in a
user who has one (or whose role requires one); the code step, or the setup first, does. Codes come from
pyotp, as from a phone."""

import re
import time

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casework import audit, second_factor
from casework.auth.two_factor import PENDING
from casework.extensions import db
from casework.models import AuthEvent
from tests.helpers import HERE, enrolled, new_request


@pytest.fixture
def required(app):
    """Admins must have a second factor (the shipped default; the other tests' admins log in without)."""
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "admin"


def logged_in(client) -> bool:
    new_request()
    return client.get("/my").status_code == 200


def code_step(client, code):
    new_request()
    return client.post("/login/code", data={"code": code})


def kinds(user) -> list[str]:
    return list(db.session.scalars(select(AuthEvent.kind).where(AuthEvent.user_id == user.id).order_by(AuthEvent.id)))


def test_the_right_password_leads_to_the_code_step_not_in(world, auth, client):
    enrolled(world.cadre1)
    r = auth.login(world.cadre1)
    assert r.status_code == 302 and r.headers["Location"] == "/login/code"
    assert not logged_in(client)
    assert "one-time-code" in client.get("/login/code").get_data(as_text=True)


def test_the_code_of_now_logs_in_and_goes_where_the_user_was_going(world, make, auth, client):
    app, _ = enrolled(world.cadre1)
    case = make.order(world.v1)
    auth.login(world.cadre1, next=f"/cases/{case.id}")
    r = code_step(client, app.now())
    assert r.status_code == 302 and r.headers["Location"] == f"/cases/{case.id}"
    assert logged_in(client)
    assert audit.TOTP_ACCEPTED in kinds(world.cadre1)


def test_a_wrong_code_is_refused_with_a_message_and_recorded(world, auth, client):
    app, _ = enrolled(world.cadre1)
    auth.login(world.cadre1)
    wrong = f"{(int(app.now()) + 500_000) % 1_000_000:06d}"
    r = code_step(client, wrong)
    assert r.status_code == 401 and "This code is not right." in r.get_data(as_text=True)
    assert not logged_in(client)
    assert kinds(world.cadre1)[-1] == audit.TOTP_FAILURE


def test_the_previous_steps_code_is_accepted_and_two_steps_back_refused(world, auth, client):
    app, _ = enrolled(world.cadre1)
    auth.login(world.cadre1)
    assert code_step(client, app.at(time.time() - 60)).status_code == 401
    assert code_step(client, app.at(time.time() - 30)).status_code == 302
    assert logged_in(client)


def test_a_code_used_for_one_login_does_not_open_another(world, auth, client, app):
    totp, _ = enrolled(world.cadre1)
    code = totp.now()
    auth.login(world.cadre1)
    assert code_step(client, code).status_code == 302
    other = app.test_client()
    other.post("/login", data={"username": "cadre1", "password": "secret-pw"})
    new_request()
    r = other.post("/login/code", data={"code": code})
    assert r.status_code == 401 and "used already" in r.get_data(as_text=True)


def test_a_recovery_code_logs_in_once_then_is_refused(world, auth, client):
    _, codes = enrolled(world.cadre1)
    auth.login(world.cadre1)
    assert code_step(client, codes[0]).status_code == 302
    assert kinds(world.cadre1)[-2:] == [audit.RECOVERY_USED, audit.LOGIN]
    auth.logout()
    auth.login(world.cadre1)
    assert code_step(client, codes[0]).status_code == 401
    assert not logged_in(client)


def test_wrong_codes_count_towards_the_login_lock(world, auth, client, app):
    totp, _ = enrolled(world.cadre1)
    auth.login(world.cadre1)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    answers = [code_step(client, wrong).status_code for _ in range(app.config["LOGIN_MAX_FAILURES"])]
    assert answers[-1] == 429 and set(answers[:-1]) == {401}
    r = code_step(client, totp.now())  # the right code too, while the lock holds
    assert r.status_code == 429 and not logged_in(client)


def test_the_code_step_needs_the_password_first(world, client):
    enrolled(world.cadre1)
    for r in (client.get("/login/code"), client.post("/login/code", data={"code": "123456"})):
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_pending_login_ends_after_its_minutes(world, auth, client):
    totp, _ = enrolled(world.cadre1)
    auth.login(world.cadre1)
    with client.session_transaction() as session:
        session[PENDING] = {**session[PENDING], "until": time.time() - 1}
    r = code_step(client, totp.now())
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert not logged_in(client)


# --- roles that require a second factor ------------------------------------------------------------------


def test_a_required_role_sets_up_its_second_factor_at_the_next_login(world, auth, client, required):
    r = auth.login(world.admin)
    assert r.status_code == 302 and r.headers["Location"] == "/login/setup"
    assert client.get("/admin/users").status_code == 302  # not logged in yet
    page = client.get("/login/setup").get_data(as_text=True)
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert "<svg" in page
    new_request()
    shown = client.post("/login/setup", data={"code": pyotp.TOTP(key).now()})
    assert shown.status_code == 200 and len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", shown.text)) == 10
    new_request()
    assert client.get("/admin/users").status_code == 200
    assert second_factor.is_enrolled(world.admin)


def test_a_wrong_code_at_the_forced_setup_leaves_the_user_out(world, auth, client, required):
    auth.login(world.admin)
    r = client.post("/login/setup", data={"code": "000000"})
    assert r.status_code == 422 and "This code is not right." in r.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 302


def test_demo_accounts_are_exempt_from_the_forced_setup(make, auth, client, required):
    demo_admin = make.user("admin", demo=True)
    r = auth.login(demo_admin)
    assert r.status_code == 302 and r.headers["Location"] == "/admin/users"


def test_after_an_admin_reset_a_cadre_logs_in_with_the_password_alone(world, auth, client, required):
    enrolled(world.cadre1)
    second_factor.reset(world.admin, world.cadre1, HERE)
    db.session.commit()
    r = auth.login(world.cadre1)
    assert r.status_code == 302 and r.headers["Location"] == "/my"


def test_after_an_admin_reset_an_admin_must_set_up_again(world, make, auth, client, required):
    other = make.user("admin")
    enrolled(other)
    second_factor.reset(world.admin, other, HERE)
    db.session.commit()
    assert auth.login(other).headers["Location"] == "/login/setup"


@settings(max_examples=20)
@given(typed=st.one_of(st.text(max_size=30), st.sampled_from(("\x00" * 6, "\ud800" * 6, "9" * 10_000, "=1+1"))))
def test_whatever_is_typed_at_the_code_step_is_refused_with_a_message_never_a_5xx(world, client, typed):
    if not second_factor.is_enrolled(world.cadre1):  # the fixtures live across the examples
        enrolled(world.cadre1)
    with client.session_transaction() as session:
        session[PENDING] = {"user": world.cadre1.id, "until": time.time() + 60, "next": ""}
    new_request()
    r = client.post("/login/code", data={"code": typed.encode("utf-8", "surrogatepass")})
    assert r.status_code in (401, 429) and 'class="error-msg"' in r.get_data(as_text=True)


def test_the_login_is_recorded_only_once_the_code_is_right(world, auth, client):
    app, _ = enrolled(world.cadre1)
    auth.login(world.cadre1)
    wrong = f"{(int(app.now()) + 500_000) % 1_000_000:06d}"
    code_step(client, wrong)
    assert audit.LOGIN not in kinds(world.cadre1)
    code_step(client, app.now())
    assert kinds(world.cadre1).count(audit.LOGIN) == 1
