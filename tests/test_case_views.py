"""The case page and its actions over HTTP: exactly the allowed forms, 404 for outsiders, clear 4xx, typing kept."""

import re

import pytest
from flask import current_app
from sqlalchemy import func, select

from casework import workflow
from casework.extensions import db
from casework.models import Case, CaseEvent, User
from tests.helpers import KINDS, MATRIX, Person, case_in, expected_actions, login_as, page, user_for

HTTP_ACTIONS = ("assign", "reassign", "return", "resolve", "reopen", "escalate", "callback", "note")


def valid_form(action: str, world, version: int) -> dict:
    fields = {
        "assign": {"assignee": world.cadre1.id},
        "reassign": {"assignee": world.cadre1b.id},
        "return": {"reason": "不是本村的"},
        "resolve": {"result": "已调解", "outcome": "settled", "agreement_terms": "赔偿500元"},
        "reopen": {"reason": "来电人不满意"},
        "escalate": {"assignee": world.cadre2.id},
        "callback": {"solved": "yes", "satisfaction": "satisfied"},
        "note": {"note": "已电话联系"},
    }[action]
    return {f"{action}-{k}": v for k, v in (fields | {"version": version}).items()}


def events_of(case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))


def outcome_over_http(client, action: str, case: Case, world) -> tuple[int, int, str]:
    """(status, events written, state afterwards) for one POST of a valid form."""
    r = client.post(f"/cases/{case.id}/{action}", data=valid_form(action, world, case.version))
    db.session.expire_all()
    return r.status_code, events_of(case), db.session.get(Case, case.id).state


def expected_over_http(role: str, kind: str, state: str, action: str) -> tuple[int, int, str] | str:
    if role == "other_cadre":
        return 404, 0, state
    if action in expected_actions(role, kind, state):
        return "302 with one event"
    return "403/409, nothing written"


def summarise(outcome: tuple[int, int, str], state: str, role: str) -> tuple[int, int, str] | str:
    status, events, now = outcome
    if role == "other_cadre":
        return outcome
    if status == 302 and events == 1:
        return "302 with one event"
    if status in (403, 409) and events == 0 and now == state:
        return "403/409, nothing written"
    return outcome


@pytest.mark.parametrize(("role", "kind", "state"), MATRIX)
def test_each_action_over_http_is_done_or_refused_as_the_table_says(world, make, client, role, kind, state):
    """Every action, each on a fresh case; a cadre of another village gets 404 on each."""
    login_as(client, user_for(world, role))
    outcomes = {
        a: summarise(outcome_over_http(client, a, case_in(make, world, kind, state), world), state, role)
        for a in HTTP_ACTIONS
    }
    assert outcomes == {a: expected_over_http(role, kind, state, a) for a in HTTP_ACTIONS}


@pytest.mark.parametrize(("role", "kind", "state"), MATRIX)
def test_case_page_offers_exactly_the_allowed_actions(world, make, client, role, kind, state):
    case = case_in(make, world, kind, state)
    login_as(client, user_for(world, role))
    r = client.get(f"/cases/{case.id}")
    if role == "other_cadre":
        assert r.status_code == 404
        return
    assert r.status_code == 200
    offered = set(re.findall(rf'action="/cases/{case.id}/(\w+)"', page(r)))
    offered |= {"convert"} if f"/disputes/from-order/{case.id}" in page(r) else set()
    assert offered == set(expected_actions(role, kind, state))


def test_a_case_that_does_not_exist_is_404(world, client):
    login_as(client, world.dispatcher)
    assert client.get("/cases/999").status_code == 404
    assert client.post("/cases/999/note", data={"note-note": "x"}).status_code == 404


def test_an_id_beyond_the_integer_range_is_404_not_500(world, client):
    login_as(client, world.dispatcher)
    assert client.get(f"/cases/{10**20}").status_code == 404
    assert client.post(f"/cases/{10**20}/note", data={"note-note": "x"}).status_code == 404


def test_an_unknown_action_is_404(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.dispatcher)
    assert client.post(f"/cases/{case.id}/delete", data={}).status_code == 404


def test_actions_are_post_only(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)
    assert client.get(f"/cases/{case.id}/resolve?resolve-result=x").status_code == 405
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "assigned"


def test_anonymous_visitor_is_sent_to_log_in(world, make, client):
    case = case_in(make, world, "order", "assigned")
    r = client.get(f"/cases/{case.id}")
    assert r.status_code == 302 and f"/login?next=/cases/{case.id}" in r.headers["Location"]


def test_a_form_posted_after_the_session_ended_shows_the_typing_back(world, make, client):
    case = case_in(make, world, "order", "assigned")
    data = {"resolve-result": "已联系供电所更换变压器", "resolve-version": 2}
    r = client.post(f"/cases/{case.id}/resolve", data=data, headers={"Referer": f"http://localhost/cases/{case.id}"})
    page = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "已联系供电所更换变压器" in page
    assert f"/login?next=/cases/{case.id}" in page
    assert events_of(case) == 0


def test_success_redirects_to_the_case_and_says_what_was_done(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, case.version), follow_redirects=True)
    assert r.request.path == f"/cases/{case.id}"
    assert "Done: Resolve." in page(r) and "已调解" in page(r)


def test_a_cadre_who_returns_a_case_of_another_village_lands_on_my_cases(world, make, client):
    case = make.order(world.v3, state="assigned", assignee=world.cadre1)  # wrongly dispatched to cadre1
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/return", data=valid_form("return", world, case.version))
    assert r.status_code == 302 and r.headers["Location"].endswith("/my")


# --- refusals: a clear message, a 4xx, and the typing kept -------------------------------------

REFUSALS = [
    ("order", "assigned", "assignee", "return", {"return-reason": " "}, "Say why the case goes back."),
    ("order", "assigned", "assignee", "resolve", {"resolve-result": ""}, "the result is required"),
    (
        "dispute",
        "assigned",
        "assignee",
        "resolve",
        {"resolve-result": "我写的结果", "resolve-outcome": "settled"},
        "Write the terms of the agreement.",
    ),
    (
        "dispute",
        "assigned",
        "assignee",
        "resolve",
        {"resolve-result": "我写的结果", "resolve-outcome": "failed", "resolve-agreement_terms": "我写的条款"},
        "Say which route",
    ),
    ("dispute", "assigned", "assignee", "resolve", {"resolve-result": "我写的结果"}, "Choose the outcome"),
    ("order", "resolved", "dispatcher", "reopen", {"reopen-reason": ""}, "Say why the case is reopened."),
    ("order", "received", "dispatcher", "assign", {"assign-note": "我写的备注"}, "Choose the cadre"),
    ("dispute", "assigned", "assignee", "escalate", {"escalate-note": "我写的调解记录"}, "Choose the mediator"),
    ("order", "resolved", "dispatcher", "callback", {"callback-note": "我写的回访记录"}, "Say whether the caller"),
    (
        "order",
        "resolved",
        "dispatcher",
        "callback",
        {"callback-solved": "yes", "callback-note": "我写的回访记录"},
        "Choose the caller&#39;s satisfaction.",
    ),
    ("order", "assigned", "assignee", "note", {"note-note": "  "}, "The note is empty."),
]


@pytest.mark.parametrize(("kind", "state", "role", "action", "data", "message"), REFUSALS)
def test_missing_input_is_refused_with_the_message_and_the_typing_kept(
    world, make, client, kind, state, role, action, data, message
):
    case = case_in(make, world, kind, state)
    login_as(client, user_for(world, role))
    r = client.post(f"/cases/{case.id}/{action}", data=data | {f"{action}-version": case.version})
    assert r.status_code == 422
    assert message in page(r)
    for typed in (v for v in data.values() if v.startswith("我写的")):
        assert typed in page(r)
    assert events_of(case) == 0


def test_assigning_a_cadre_of_another_village_names_them(world, make, client):
    case = case_in(make, world, "order", "received")
    login_as(client, world.dispatcher)
    r = client.post(
        f"/cases/{case.id}/assign",
        data={"assign-assignee": world.cadre3.id, "assign-note": "我写的备注", "assign-version": case.version},
    )
    assert r.status_code == 422
    assert f"{world.cadre3.name} does not serve this case" in page(r) and "我写的备注" in page(r)


def test_escalating_past_the_centre_is_refused_with_a_reason(world, make, client):
    case = case_in(make, world, "dispute", "assigned", tier="centre")
    login_as(client, world.dispatcher)
    r = client.post(f"/cases/{case.id}/escalate", data=valid_form("escalate", world, case.version))
    assert r.status_code == 409
    assert "already at the township centre" in page(r)


def test_a_second_callback_is_refused_with_a_reason(world, make, client):
    case = case_in(make, world, "order", "resolved")
    login_as(client, world.dispatcher)
    assert client.post(f"/cases/{case.id}/callback", data=valid_form("callback", world, 1)).status_code == 302
    r = client.post(f"/cases/{case.id}/callback", data=valid_form("callback", world, 2))
    assert r.status_code == 409 and "already recorded" in page(r)
    assert events_of(case) == 1


@pytest.mark.parametrize("assignee", ["abc", "1.5", str(10**20), "-1"])
def test_a_malformed_assignee_is_a_4xx_not_a_500(world, make, client, assignee):
    case = case_in(make, world, "order", "received")
    login_as(client, world.dispatcher)
    r = client.post(
        f"/cases/{case.id}/assign",
        data={"assign-assignee": assignee, "assign-note": "我写的备注", "assign-version": case.version},
    )
    assert r.status_code == 422
    assert "我写的备注" in page(r)
    assert events_of(case) == 0


def test_a_malformed_village_is_a_4xx_not_a_500(world, make, client):
    case = make.order(None)
    login_as(client, world.dispatcher)
    r = client.post(
        f"/cases/{case.id}/assign",
        data={"assign-assignee": world.cadre1.id, "assign-village": str(10**20), "assign-version": case.version},
    )
    assert r.status_code == 422


@pytest.mark.parametrize("deadline", ["2026-13-45", "next week", "2026-02-30"])
def test_a_bad_performance_deadline_is_refused_with_the_typing_kept(world, make, client, deadline):
    case = case_in(make, world, "dispute", "assigned")
    login_as(client, world.cadre1)
    data = valid_form("resolve", world, case.version) | {
        "resolve-result": "我写的结果",
        "resolve-performance_deadline": deadline,
    }
    r = client.post(f"/cases/{case.id}/resolve", data=data)
    assert r.status_code == 422
    assert "我写的结果" in page(r) and deadline in page(r)
    assert events_of(case) == 0


@pytest.mark.parametrize("version", ["", "abc"])
def test_a_missing_or_malformed_version_is_refused_with_a_message(world, make, client, version):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data={"resolve-result": "我写的结果", "resolve-version": version})
    assert r.status_code in (409, 422)
    assert "This form is out of date." in page(r)
    assert "我写的结果" in page(r)
    assert events_of(case) == 0


# --- version conflict --------------------------------------------------------------------------


def test_a_stale_form_is_refused_with_409_the_case_as_it_is_now_and_the_typing_kept(world, make, client):
    case = case_in(make, world, "order", "assigned")
    seen = case.version
    login_as(client, world.dispatcher)
    client.post(f"/cases/{case.id}/note", data={"note-note": "x", "note-version": seen})
    client.post(f"/cases/{case.id}/reassign", data=valid_form("reassign", world, seen))
    login_as(client, world.cadre1)  # still sees the case (serves the village) but no longer holds it
    r = client.post(f"/cases/{case.id}/resolve", data={"resolve-result": "我写的结果", "resolve-version": seen})
    assert r.status_code == 409
    text = page(r)
    assert "This case was changed by someone else meanwhile" in text
    assert "我写的结果" in text
    assert world.cadre1b.name in text  # the case as it is now: reassigned
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "assigned"
    assert [e.action for e in db.session.get(Case, case.id).events] == ["note", "reassign"]


def test_after_a_conflict_the_form_carries_the_current_version(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.dispatcher)
    r = client.post(f"/cases/{case.id}/resolve", data={"resolve-result": "我写的结果", "resolve-version": 0})
    assert r.status_code == 409
    assert re.search(rf'name="resolve-version"[^>]*value="{case.version}"', page(r))


def test_a_note_does_not_make_other_forms_stale(world, make, client):
    case = case_in(make, world, "order", "assigned")
    seen = case.version
    login_as(client, world.dispatcher)
    assert client.post(f"/cases/{case.id}/note", data={"note-note": "催办", "note-version": seen}).status_code == 302
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data={"resolve-result": "已修好", "resolve-version": seen})
    assert r.status_code == 302


@pytest.mark.parametrize("kind", KINDS)
def test_the_history_timeline_shows_actor_states_and_note(world, make, client, kind):
    case = case_in(make, world, kind, "assigned")
    login_as(client, world.cadre1)
    client.post(f"/cases/{case.id}/return", data={"return-reason": "不是本村的", "return-version": case.version})
    text = page(client.get(f"/cases/{case.id}"))
    timeline = text[text.index('class="timeline"') :]
    assert world.cadre1.name in timeline and "不是本村的" in timeline
    assert "Assigned → Received" in timeline


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_a_role_that_may_not_act_is_told_so_and_offered_no_form(world, make, client, role):
    case = case_in(make, world, "order", "assigned")
    login_as(client, user_for(world, role))
    r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, case.version))
    assert r.status_code == 403
    assert "You may not do this on this case." in page(r)
    assert f'action="/cases/{case.id}/resolve"' not in page(r)


# --- a second tap ------------------------------------------------------------------------------------

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
