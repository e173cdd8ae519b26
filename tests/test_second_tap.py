"""A second tap on the case page (a double tap on a phone, a form sent again): told the action is already done,
with the case as it is; another person's change in between is still a conflict."""

import pytest
from flask import current_app

from casework import workflow
from casework.extensions import db
from casework.models import Case, User
from tests.helpers import Person, case_in, events_of, login_as, page, user_for, valid_form

# Who does each action, on a case in which state, in the double-tap tests.
TAPS = {
    "assign": ("dispatcher", "order", "received"),
    "reassign": ("dispatcher", "order", "assigned"),
    "return": ("assignee", "order", "assigned"),
    "resolve": ("assignee", "order", "assigned"),
    "reopen": ("dispatcher", "order", "resolved"),
    "escalate": ("assignee", "dispute", "assigned"),
    "callback": ("dispatcher", "order", "resolved"),
}
ALREADY = {
    "assign": "You already assigned this case.",
    "reassign": "You already reassigned this case.",
    "return": "You already returned this case.",
    "resolve": "You already resolved this case.",
    "reopen": "You already reopened this case.",
    "escalate": "You already escalated this case.",
    "callback": "You already recorded the callback of this order.",
}


@pytest.mark.parametrize("action", TAPS)
def test_a_second_tap_says_the_action_is_done_and_shows_the_case_as_it_is(world, make, client, action):
    role, kind, state = TAPS[action]
    case = case_in(make, world, kind, state)
    login_as(client, user_for(world, role))
    form = valid_form(action, world, case.version)
    assert client.post(f"/cases/{case.id}/{action}", data=form).status_code == 302
    r = client.post(f"/cases/{case.id}/{action}", data=form, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == f"/cases/{case.id}"
    assert ALREADY[action] in page(r) and "changed by someone else" not in page(r)
    if action != "reassign":  # a reassigned case may be reassigned again: its form is offered as always
        assert f'action="/cases/{case.id}/{action}"' not in page(r)  # the case as it is, not the form again
    assert events_of(case) == 1


def test_a_second_tap_on_returning_a_case_of_another_village_lands_on_my_cases(world, make, client):
    case = make.order(world.v3, state="assigned", assignee=world.cadre1)  # wrongly dispatched to cadre1
    login_as(client, world.cadre1)
    form = valid_form("return", world, case.version)
    client.post(f"/cases/{case.id}/return", data=form)
    r = client.post(f"/cases/{case.id}/return", data=form, follow_redirects=True)
    assert r.request.path == "/my" and "You already returned this case." in page(r)
    assert events_of(case) == 1


def test_a_stale_form_of_another_action_of_the_same_person_is_still_a_conflict(world, make, client):
    case = case_in(make, world, "order", "resolved")
    seen = case.version
    login_as(client, world.dispatcher)
    client.post(f"/cases/{case.id}/reopen", data=valid_form("reopen", world, seen))
    r = client.post(f"/cases/{case.id}/callback", data=valid_form("callback", world, seen))
    assert r.status_code == 409 and "changed by someone else" in page(r)


def test_a_repeat_after_someone_elses_change_is_still_a_conflict(world, make, client):
    case = case_in(make, world, "order", "assigned")
    seen = case.version
    login_as(client, world.cadre1)
    client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, seen))
    login_as(client, world.dispatcher)
    client.post(f"/cases/{case.id}/reopen", data=valid_form("reopen", world, seen + 1))
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, seen))
    assert r.status_code == 409 and "changed by someone else" in page(r)


def test_a_refused_action_is_named_in_words_never_by_its_code(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.dispatcher)
    r = client.post(f"/cases/{case.id}/assign", data=valid_form("assign", world, case.version))
    assert r.status_code == 409
    assert "The action “Assign” is not possible" in page(r) and "“assign”" not in page(r)


def test_a_second_tap_racing_the_first_is_told_it_is_done(world, make, client, monkeypatch):
    """Both taps read the case before either writes: the second's write meets the version the first made
    (on PostgreSQL it waits on the row for it), and it is told the first did it."""
    case = case_in(make, world, "order", "assigned")
    first_tap, resolve = Person(current_app._get_current_object()), workflow.resolve

    def first_tap_lands_meanwhile(seen, actor, **fields):
        case_id, actor_id = seen.id, actor.id  # actor is current_user: a proxy to this request's user

        def tap():
            resolve(db.session.get(Case, case_id), db.session.get(User, actor_id), result="已修好")
            db.session.commit()

        first_tap.do(tap)
        return resolve(seen, actor, **fields)

    monkeypatch.setattr(workflow, "resolve", first_tap_lands_meanwhile)
    login_as(client, world.cadre1)
    try:
        r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, case.version))
    finally:
        first_tap.leave()
    assert r.status_code == 302
    assert "You already resolved this case." in page(client.get(r.headers["Location"]))
    assert events_of(case) == 1
