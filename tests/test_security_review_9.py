"""The security review of issue 9 (accounts): each finding pinned by the reviewer's reproduction."""

import pytest

from casework.auth.two_factor import PENDING
from casework.extensions import db
from tests.helpers import PASSWORD, enrolled, login_as, new_request


@pytest.fixture
def required(app):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "admin"


def planted(app, victim_client):
    """An attacker's client carrying the victim's pre-login cookie (the attacker planted it: GET /lang/en)."""
    victim_client.get("/lang/en")
    cookie = victim_client.get_cookie("session").value
    attacker = app.test_client()
    attacker.set_cookie("session", cookie)
    return attacker, cookie


def sent_to_login(answer) -> bool:
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


# --- 1. session fixation at the second factor ----------------------------------------------------------


def test_a_planted_cookie_cannot_reach_the_code_step_after_the_victims_password(app, world, client):
    enrolled(world.cadre1)
    attacker, cookie = planted(app, client)
    answer = client.post("/login", data={"username": world.cadre1.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/code"
    assert client.get_cookie("session").value != cookie
    new_request()
    assert sent_to_login(attacker.get("/login/code"))
    new_request()
    assert client.get("/login/code").status_code == 200  # the victim goes on


def test_a_planted_cookie_cannot_reach_the_forced_setup_after_the_victims_password(app, world, client, required):
    attacker, _ = planted(app, client)
    answer = client.post("/login", data={"username": world.admin.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/setup"
    new_request()
    assert sent_to_login(attacker.get("/login/setup"))
    new_request()
    assert client.get("/login/setup").status_code == 200


def test_a_pending_login_is_dropped_at_a_normal_login_and_at_logout(app, world, client):
    enrolled(world.cadre1)
    client.post("/login", data={"username": world.cadre1.username, "password": PASSWORD})
    new_request()
    client.post("/login", data={"username": world.dispatcher.username, "password": PASSWORD})
    with client.session_transaction() as session:
        assert PENDING not in session
        session[PENDING] = {"user": world.cadre1.id, "until": 9e18, "next": ""}
    new_request()
    client.post("/logout")
    with client.session_transaction() as session:
        assert PENDING not in session
    db.session.rollback()


# --- 2. the password page's current-password check is throttled and audited ---------------------------


def test_wrong_current_passwords_are_recorded_and_locked_like_logins(app, world, client):
    from sqlalchemy import select

    from casework import audit
    from casework.models import AuthEvent

    login_as(client, world.cadre1)
    change = {"current": "not-it", "new": "Zq8-walnut-harbour", "repeated": "Zq8-walnut-harbour"}
    limit = app.config["LOGIN_MAX_FAILURES"]
    answers = []
    for _ in range(limit):
        new_request()
        answers.append(client.post("/password", data=change).status_code)
    assert answers[:-1] == [422] * (limit - 1) and answers[-1] == 429
    new_request()
    right = client.post("/password", data={**change, "current": PASSWORD})  # the right one too, while locked
    assert right.status_code == 429 and "Too many failed logins" in right.get_data(as_text=True)
    db.session.expire_all()
    events = db.session.execute(
        select(AuthEvent.kind, AuthEvent.detail).where(AuthEvent.username == world.cadre1.username)
    ).all()
    assert events.count((audit.FAILURE, "current password")) == limit
    assert (audit.LOCKED, "username") in events
    assert world.cadre1.check_password(PASSWORD)  # unchanged


# --- 3. the audit page's dates at the ends of the calendar ------------------------------------------------


@pytest.mark.parametrize(
    "query", [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-01"}]
)
def test_dates_at_the_ends_of_the_calendar_are_refused_at_their_field_not_a_500(world, client, query):
    login_as(client, world.admin)
    answer = client.get("/admin/audit", query_string=query)
    assert answer.status_code == 422
    assert "Write the date as YYYY-MM-DD." in answer.get_data(as_text=True)


# --- 4. an address lock can be lifted --------------------------------------------------------------------


def test_an_admin_lifts_an_address_lock_from_the_audit_page(app, world, auth, client):
    """A township office behind one NAT address: wrong passwords of several people lock the address."""
    from sqlalchemy import select

    from casework import audit
    from casework.models import AuthEvent

    app.config["LOGIN_MAX_IP_FAILURES"] = 3
    statuses = [auth.login(name, "wrong-password").status_code for name in ("nobody", "cadre2", "leader")]
    assert statuses[-1] == 429
    new_request()
    assert auth.login(world.dispatcher).status_code == 429  # the whole office is out

    admin = app.test_client()
    login_as(admin, world.admin)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Locked after too many failed logins" in page
    locks = page.split("Locked after too many failed logins")[1].split('class="filters"')[0]
    assert 'name="ip" value="127.0.0.1"' in locks and "Lift the lock" in locks
    new_request()
    lifted = admin.post("/admin/audit/unlock", data={"ip": "127.0.0.1"}, follow_redirects=True)
    assert "The lock on 127.0.0.1 is lifted." in lifted.get_data(as_text=True)
    unlocks = db.session.execute(
        select(AuthEvent.ip, AuthEvent.detail, AuthEvent.actor_id).where(AuthEvent.kind == audit.UNLOCK)
    ).all()
    assert unlocks == [("127.0.0.1", "ip", world.admin.id)]
    new_request()
    assert "Locked after too many failed logins" not in admin.get("/admin/audit").get_data(as_text=True)

    new_request()
    assert auth.login(world.dispatcher).status_code == 302
    new_request()
    auth.logout()
    new_request()
    assert auth.login("nobody", "wrong-password").status_code == 401  # the failures before the lift no longer count


# --- 5. demo accounts made before migration 0012 become demo accounts again --------------------------------


def test_if_empty_marks_the_listed_demo_logins_whose_password_matches_as_demo(app, make, runner, tmp_path):
    """An instance loaded before 0012: its demo accounts have demo=False and the tour's admin would be
    forced into the second-factor setup. `demo-data --if-empty` marks them, by the logins file it wrote."""
    from casework.demo.logins import write_logins

    admin = make.user("admin", username="admin")
    changed = make.user("dispatcher", username="dispatcher")  # listed, but its password changed since
    other = make.user("cadre", username="someone")  # not listed
    logins = tmp_path / "demo-logins.txt"
    write_logins(logins, [(admin, PASSWORD), (changed, "old-demo-pw")])
    assert not any(user.demo for user in (admin, changed, other))

    result = runner.invoke(args=["demo-data", "--if-empty", "--logins-file", str(logins)])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert admin.demo and not changed.demo and not other.demo
    assert runner.invoke(args=["demo-data", "--if-empty", "--logins-file", str(logins)]).exit_code == 0


# --- 6. a new password gives the session it was changed in a new key --------------------------------------


def test_a_password_changed_by_the_user_gives_this_session_a_new_key_and_keeps_its_data(app, world, client):
    client.post("/login", data={"username": world.cadre1.username, "password": PASSWORD})
    new_request()
    client.get("/lang/en")
    before = client.get_cookie("session").value
    new_request()
    new = "Zq8-walnut-harbour"
    answer = client.post("/password", data={"current": PASSWORD, "new": new, "repeated": new})
    assert answer.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    new_request()
    assert client.get("/my").status_code == 200  # the new key opens the session, still logged in
    with client.session_transaction() as session:
        assert session.get("locale") == "en"  # its data kept
    thief = app.test_client()
    thief.set_cookie("session", before)
    new_request()
    assert sent_to_login(thief.get("/my"))
