"""Issue 9, items 1, 2 and 6: throttled logins counted in the database, equal work for unknown usernames,
and the login audit (recorded, read by admins on a page with filters, never changed)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug import security

from casework import accounts, audit
from casework.audit import Origin
from casework.extensions import db
from casework.models import AuthEvent, utcnow
from casework.models.accounts import AuditIsAppendOnly
from tests.helpers import PASSWORD, login_as
from tests.live import LiveServer, at_once

WRONG = "wrong-password"
HERE = Origin("10.0.0.7", "pytest")


def events(kind: str, username: str | None = None) -> list[AuthEvent]:
    query = select(AuthEvent).where(AuthEvent.kind == kind).order_by(AuthEvent.id)
    if username is not None:
        query = query.where(AuthEvent.username == username)
    return list(db.session.scalars(query))


def fail(auth, who, times: int) -> list[int]:
    return [auth.login(who, WRONG).status_code for _ in range(times)]


def attempt(username: str, password: str, now: datetime, origin: Origin = HERE):
    """One login decided by the service at `now`, committed as the view commits; the refusal or the user."""
    try:
        user = accounts.check_login(username, password, origin, now)
    except accounts.WorkflowError as exc:
        db.session.commit()
        return exc
    db.session.commit()
    return user


# --- throttling ---------------------------------------------------------------------------------


def test_five_failures_lock_the_username_and_even_the_right_password_gets_429(world, auth):
    assert fail(auth, world.dispatcher, 4) == [401] * 4
    assert fail(auth, world.dispatcher, 1) == [429]  # the fifth failure starts the lock
    right = auth.login(world.dispatcher)
    assert right.status_code == 429
    assert "Too many failed logins. Try again after" in right.get_data(as_text=True)
    assert len(events(audit.LOCKED, "dispatcher")) == 1
    assert len(events(audit.FAILURE, "dispatcher")) == 5  # attempts refused during the lock are not checked


def test_the_429_says_when_to_try_again_in_local_time(world, auth):
    before = utcnow()
    fail(auth, world.dispatcher, 5)
    after = utcnow()
    page = auth.login(world.dispatcher).get_data(as_text=True)
    zone = ZoneInfo("Asia/Shanghai")
    times = {(moment + timedelta(minutes=15)).astimezone(zone).strftime("%H:%M") for moment in (before, after)}
    assert any(f"Try again after {hhmm}." in page for hhmm in times), page


def test_the_429_is_in_chinese_for_a_chinese_reader(world, auth, app):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    fail(auth, world.dispatcher, 5)
    page = auth.login(world.dispatcher).get_data(as_text=True)
    assert "登录失败次数过多" in page


def test_other_usernames_are_not_locked_by_one_locked_username(world, auth):
    fail(auth, world.dispatcher, 5)
    assert auth.login(world.cadre1).status_code == 302


def test_the_lock_ends_after_its_minutes(world):
    now = utcnow()
    assert [type(attempt("dispatcher", WRONG, now)).__name__ for _ in range(5)][-1] == "LoginLocked"
    assert isinstance(attempt("dispatcher", PASSWORD, now + timedelta(minutes=14)), accounts.LoginLocked)
    assert attempt("dispatcher", PASSWORD, now + timedelta(minutes=16)) == world.dispatcher


def test_failures_before_a_lock_ended_do_not_count_again(world):
    now = utcnow()
    for _ in range(5):
        attempt("dispatcher", WRONG, now)
    later = now + timedelta(minutes=16)
    assert isinstance(attempt("dispatcher", WRONG, later), accounts.LoginRefused)  # one failure, not six


def test_failures_outside_the_window_do_not_add_up(world):
    start = utcnow()
    for minute in range(0, 40, 8):  # five failures, never five within 15 minutes
        assert isinstance(attempt("dispatcher", WRONG, start + timedelta(minutes=minute)), accounts.LoginRefused)
    assert attempt("dispatcher", PASSWORD, start + timedelta(minutes=40)) == world.dispatcher


def test_the_limits_are_settings(world, auth, app):
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_LOCK_MINUTES=1)
    assert fail(auth, world.dispatcher, 2) == [401, 429]
    assert isinstance(attempt("dispatcher", PASSWORD, utcnow() + timedelta(seconds=61)), type(world.dispatcher))


def test_one_address_is_locked_after_its_own_limit_whatever_the_usernames(world, app):
    app.config["LOGIN_MAX_IP_FAILURES"] = 3
    now = utcnow()
    results = [attempt(name, WRONG, now) for name in ("nobody", "admin", "cadre2")]
    assert isinstance(results[-1], accounts.LoginLocked)
    assert isinstance(attempt("dispatcher", PASSWORD, now), accounts.LoginLocked)
    assert attempt("dispatcher", PASSWORD, now, Origin("10.0.0.8", "elsewhere")) == world.dispatcher


def test_an_admin_lifts_a_lock_and_it_is_recorded_with_the_admin(world, auth, client):
    fail(auth, world.dispatcher, 5)
    login_as(client, world.admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Locked after too many failed logins" in page and "Lift the lock" in page
    assert client.post("/admin/audit/unlock", data={"username": "dispatcher"}).status_code == 302
    assert [e.actor_id for e in events(audit.UNLOCK, "dispatcher")] == [world.admin.id]
    with client.session_transaction() as session:
        session.clear()
    assert auth.login(world.dispatcher).status_code == 302


def test_after_an_unlock_the_failures_before_it_no_longer_count(world, auth, client):
    fail(auth, world.dispatcher, 5)
    login_as(client, world.admin)
    client.post("/admin/audit/unlock", data={"username": "dispatcher"})
    with client.session_transaction() as session:
        session.clear()
    assert fail(auth, world.dispatcher, 1) == [401]


def test_only_an_admin_lifts_a_lock(world, auth, client):
    fail(auth, world.dispatcher, 5)
    login_as(client, world.leader)
    assert client.post("/admin/audit/unlock", data={"username": "dispatcher"}).status_code == 403
    assert events(audit.UNLOCK) == []


def test_many_wrong_passwords_at_once_never_get_more_than_the_limit_checked(world, app):
    """Twenty browsers post a wrong password for one user in the same instant, at a real threaded server:
    no more than five are checked (recorded as failures), none answers 5xx, and the lock holds."""
    server = LiveServer(app)
    try:
        browsers = [server.browser() for _ in range(20)]
        post = lambda b: lambda: b.post("/login", {"username": "dispatcher", "password": WRONG})  # noqa: E731
        answers = at_once(*(post(b) for b in browsers))
        right = server.browser().post("/login", {"username": "dispatcher", "password": PASSWORD})
    finally:
        server.stop()
    statuses = sorted(status for status, _body in answers)
    assert set(statuses) <= {401, 429}, statuses
    db.session.rollback()
    assert len(events(audit.FAILURE, "dispatcher")) == 5
    assert len(events(audit.LOCKED, "dispatcher")) == 1
    assert right[0] == 429


# --- equal work for unknown usernames ------------------------------------------------------------


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts every password hash check (werkzeug.security.check_password_hash), the costly scrypt."""
    calls = []
    real = security.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(security, "check_password_hash", counting)
    return calls


def test_an_unknown_or_inactive_username_costs_the_same_hash_check_as_a_real_one(world, auth, hash_checks):
    world.cadre3.active = False
    db.session.commit()
    counts = {}
    for who in ("dispatcher", "nobody-at-all", "cadre3"):
        before = len(hash_checks)
        assert auth.login(who, WRONG).status_code == 401
        counts[who] = len(hash_checks) - before
    assert counts == {"dispatcher": 1, "nobody-at-all": 1, "cadre3": 1}


def test_the_dummy_hash_is_made_by_the_same_method_as_real_ones(world, auth, hash_checks):
    auth.login("nobody-at-all", WRONG)
    assert hash_checks[-1].split("$")[0] == world.dispatcher.password_hash.split("$")[0]


# --- the audit ----------------------------------------------------------------------------------


def test_a_login_and_a_failure_are_recorded_with_address_and_browser(world, client):
    client.post("/login", data={"username": "dispatcher", "password": WRONG}, headers={"User-Agent": "Phone/1"})
    client.post("/login", data={"username": "dispatcher", "password": PASSWORD}, headers={"User-Agent": "Phone/1"})
    failure, login = events(audit.FAILURE)[0], events(audit.LOGIN)[0]
    assert (failure.username, failure.user_id, failure.ip, failure.user_agent) == (
        "dispatcher",
        world.dispatcher.id,
        "127.0.0.1",
        "Phone/1",
    )
    assert (login.user_id, login.ip) == (world.dispatcher.id, "127.0.0.1")


def test_an_unknown_username_is_recorded_as_typed(world, auth):
    auth.login("nobody", WRONG)
    assert [(e.username, e.user_id) for e in events(audit.FAILURE)] == [("nobody", None)]


def _one_event() -> int:
    audit.record(audit.LOGIN, HERE, username="someone")
    db.session.commit()
    return db.session.scalar(select(func.max(AuthEvent.id)))


@pytest.mark.parametrize(
    "statement", ["UPDATE auth_events SET username = 'forged' WHERE id = :id", "DELETE FROM auth_events WHERE id = :id"]
)
def test_the_database_refuses_to_change_or_delete_an_audit_event(world, statement):
    event_id = _one_event()
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement), {"id": event_id})
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuthEvent, event_id).username == "someone"


def test_the_orm_refuses_to_change_or_delete_an_audit_event(world):
    event = db.session.get(AuthEvent, _one_event())
    event.username = "forged"
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuthEvent, event.id))
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def _page(client, **query) -> str:
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admins_read_the_audit_with_filters(world, auth, client):
    auth.login("nobody", WRONG)
    auth.login(world.cadre1)
    login_as(client, world.admin)
    everything = _page(client)
    assert "nobody" in everything and "cadre1" in everything
    assert "nobody" not in _page(client, kind="login")
    assert "cadre1" not in _page(client, username="nobody")
    assert "nobody" not in _page(client, ip="10.9.9.9")
    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert "nobody" in _page(client, **{"from": today.isoformat(), "to": today.isoformat()})
    assert "nobody" not in _page(client, **{"from": (today + timedelta(days=1)).isoformat()})
    assert "nobody" not in _page(client, to=(today - timedelta(days=1)).isoformat())


def test_the_audit_pages_by_keyset(world, app, client):
    app.config["AUDIT_PAGE_SIZE"] = 2
    for name in ("first-user", "second-user", "third-user"):
        audit.record(audit.FAILURE, HERE, username=name)
    db.session.commit()
    login_as(client, world.admin)
    newest = _page(client)
    assert "third-user" in newest and "second-user" in newest and "first-user" not in newest
    older = db.session.scalar(select(AuthEvent.id).where(AuthEvent.username == "second-user"))
    assert f"after={older}" in newest
    assert "first-user" in _page(client, after=older) and "third-user" not in _page(client, after=older)


def test_a_date_that_cannot_be_read_is_refused_at_its_field(world, client):
    login_as(client, world.admin)
    response = client.get("/admin/audit", query_string={"from": "2026-02-30"})
    assert response.status_code == 422 and "Write the date as YYYY-MM-DD." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["dispatcher", "leader", "cadre1"])
def test_only_admins_read_the_audit(world, client, role):
    login_as(client, getattr(world, role))
    assert client.get("/admin/audit").status_code == 403


def test_every_kind_of_audit_event_has_a_label_on_the_page(app):
    from casework.admin.routes import AUTH_EVENT_LABELS

    assert set(AUTH_EVENT_LABELS) == set(audit.KINDS)
