"""Logging in and out through the real form, `next` kept inside the site, CSRF when enabled."""

import re

import pytest

from casework import create_app
from casework.extensions import db
from casework.web import safe_next
from tests.helpers import PASSWORD, new_request


def test_login_page_shows_the_form(client):
    r = client.get("/login")
    assert r.status_code == 200 and 'name="username"' in r.get_data(as_text=True)


@pytest.mark.parametrize(("who", "home"), [("dispatcher", "/queue"), ("cadre1", "/my"), ("admin", "/admin")])
def test_login_sends_each_role_home(world, auth, who, home):
    r = auth.login(getattr(world, who))
    assert r.status_code == 302 and r.headers["Location"].startswith(home)


def test_logged_in_user_reaches_their_pages(world, auth, client):
    auth.login(world.cadre1)
    r = client.get("/my")
    assert r.status_code == 200 and world.cadre1.name in r.get_data(as_text=True)


def test_a_wrong_password_is_401_with_a_clear_message_and_the_username_kept(world, auth):
    r = auth.login(world.dispatcher, password="wrong")
    text = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "Wrong username or password." in text
    assert 'value="dispatcher"' in text


def test_an_unknown_user_gets_the_same_answer(world, auth):
    r = auth.login("nobody")
    assert r.status_code == 401 and "Wrong username or password." in r.get_data(as_text=True)


def test_an_empty_form_is_refused(world, client):
    r = client.post("/login", data={"username": "", "password": ""})
    assert r.status_code == 401


def test_an_inactive_user_is_refused(world, auth, client):
    world.cadre1.active = False
    db.session.commit()
    r = auth.login(world.cadre1)
    assert r.status_code == 401
    assert client.get("/my").status_code == 302  # still not logged in: sent to the login page


def test_a_user_deactivated_while_logged_in_is_logged_out(world, auth, client):
    auth.login(world.cadre1)
    world.cadre1.active = False
    db.session.commit()
    new_request()
    r = client.get("/my")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_pages_need_a_login_and_come_back_after_it(world, make, client, auth):
    case = make.order(world.v1)
    r = client.get(f"/cases/{case.id}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = auth.login(world.dispatcher, next=f"/cases/{case.id}")
    assert r.headers["Location"] == f"/cases/{case.id}"


def test_next_from_the_query_string_is_carried_into_the_form(client):
    assert 'value="/cases/7"' in client.get("/login?next=/cases/7").get_data(as_text=True)


@pytest.mark.parametrize("next_", ["/queue?state=assigned&village=2", "/cases/3#act"])
def test_a_local_next_is_honoured(world, auth, next_):
    assert auth.login(world.dispatcher, next=next_).headers["Location"] == next_


HOSTILE = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/queue",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "///evil.example",
    " //evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "evil.example",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.parametrize("next_", HOSTILE)
def test_a_hostile_next_is_refused_and_the_user_goes_home(world, auth, next_):
    r = auth.login(world.dispatcher, next=next_)
    assert r.status_code == 302
    assert r.headers["Location"] == "/queue"


@pytest.mark.parametrize("next_", HOSTILE)
def test_safe_next_refuses_hostile_values(next_):
    assert safe_next(next_) is None


@pytest.mark.parametrize("next_", HOSTILE)
def test_the_language_switch_does_not_redirect_off_site(client, next_):
    r = client.get("/lang/en", query_string={"next": next_})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_logout_is_post_only(world, auth, client):
    auth.login(world.dispatcher)
    assert client.get("/logout").status_code == 405
    assert client.get("/queue").status_code == 200  # a GET (say, an <img src>) did not log anyone out


def test_logout_ends_the_session(world, auth, client):
    auth.login(world.dispatcher)
    r = auth.logout()
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/queue").status_code == 302


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(app):
    """The same database, with CSRF protection on as in production."""
    protected = create_app(
        {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SCHEDULER", "INBOX_DIR")}
        | {"TESTING": True, "WTF_CSRF_ENABLED": True, "BABEL_DEFAULT_LOCALE": "en", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    )
    yield protected.test_client()
    with protected.app_context():
        db.engine.dispose()


def token_from(response) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_csrf_login_without_token_is_refused(world, csrf_client):
    r = csrf_client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert r.status_code == 400


def test_csrf_login_with_the_token_is_accepted(world, csrf_client):
    token = token_from(csrf_client.get("/login"))
    r = csrf_client.post("/login", data={"username": "dispatcher", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302


def test_csrf_case_action_needs_the_token(world, make, csrf_client):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1)
    token = token_from(csrf_client.get("/login"))
    csrf_client.post("/login", data={"username": "cadre1", "password": PASSWORD, "csrf_token": token})
    data = {"note-note": "已联系", "note-version": case.version}
    assert csrf_client.post(f"/cases/{case.id}/note", data=data).status_code == 400
    page = csrf_client.get(f"/cases/{case.id}")
    token = re.search(r'name="note-csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert csrf_client.post(f"/cases/{case.id}/note", data=data | {"note-csrf_token": token}).status_code == 302


def test_csrf_logout_without_token_is_refused(world, csrf_client):
    token = token_from(csrf_client.get("/login"))
    csrf_client.post("/login", data={"username": "dispatcher", "password": PASSWORD, "csrf_token": token})
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/queue").status_code == 200


def test_a_refused_csrf_token_keeps_what_was_typed(world, make, csrf_client):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1)
    token = token_from(csrf_client.get("/login"))
    csrf_client.post("/login", data={"username": "cadre1", "password": PASSWORD, "csrf_token": token})
    r = csrf_client.post(f"/cases/{case.id}/note", data={"note-note": "村民已签字确认", "note-version": case.version})
    assert r.status_code == 400
    assert "村民已签字确认" in r.get_data(as_text=True)


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(world, auth, client):
    from casework import people

    auth.login(world.cadre1)
    assert client.get("/my").status_code == 200
    people.reset_password(world.admin, world.cadre1, "a-new-password-1")
    db.session.commit()
    new_request()
    assert client.get("/my").status_code == 302
