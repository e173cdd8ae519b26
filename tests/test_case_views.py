"""The case page and its actions over HTTP: exactly the allowed forms, 404 for outsiders, success said, and a
stale form refused with the case as it is now."""

import re

import pytest

from casework.extensions import db
from casework.models import Case
from tests.helpers import (
    KINDS,
    MATRIX,
    case_in,
    events_of,
    expected_actions,
    login_as,
    page,
    user_for,
    valid_form,
)

HTTP_ACTIONS = ("assign", "reassign", "return", "resolve", "reopen", "escalate", "callback", "note")


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
