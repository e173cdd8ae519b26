"""What a login request writes, and in how many commits: setting up a required second factor enrols and
records the login in one commit; a refusal after the right password keeps nothing of what followed it."""

import re
from contextlib import contextmanager

import pyotp
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from casework import audit
from casework.auth import two_factor
from casework.extensions import db
from casework.models import AuthEvent
from casework.refusals import N_, InvalidInput
from tests.helpers import HERE, new_request


@pytest.fixture
def required(app):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "admin"


@contextmanager
def view_commits(app, endpoint: str):
    """The commits the view of `endpoint` makes inside the block (not the session store's, after the view),
    counted in a list of one."""
    counted, inside, view = [0], [False], app.view_functions[endpoint]

    def counted_view(**kw):
        inside[0] = True
        try:
            return view(**kw)
        finally:
            inside[0] = False

    def count(session):
        counted[0] += inside[0]

    app.view_functions[endpoint] = counted_view
    event.listen(Session, "after_commit", count)
    try:
        yield counted
    finally:
        event.remove(Session, "after_commit", count)
        app.view_functions[endpoint] = view


def _events(kind: str, user) -> int:
    query = select(func.count()).select_from(AuthEvent).where(AuthEvent.kind == kind, AuthEvent.user_id == user.id)
    return db.session.scalar(query)


def test_the_setup_at_login_enrols_and_records_the_login_in_one_commit(app, world, auth, client, required):
    assert auth.login(world.admin).headers["Location"] == "/login/setup"
    page = client.get("/login/setup").get_data(as_text=True)
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    new_request()
    with view_commits(app, "two_factor.login_setup") as commits:
        shown = client.post("/login/setup", data={"code": pyotp.TOTP(key).now()})
    assert shown.status_code == 200 and commits == [1]
    assert _events(audit.LOGIN, world.admin) == 1


def test_a_refusal_after_the_right_password_keeps_nothing_of_what_followed_it(world, auth, monkeypatch):
    def begin_login(user, next_):
        audit.record(audit.LOGIN, HERE, user=user)  # a write, then a refusal
        raise InvalidInput(N_("Enter the code."), "password")

    monkeypatch.setattr(two_factor, "begin_login", begin_login)
    r = auth.login(world.cadre1)
    assert r.status_code == 422 and "Enter the code." in r.get_data(as_text=True)
    db.session.expire_all()
    assert _events(audit.LOGIN, world.cadre1) == 0
