"""Refusals on the case page: a clear message, a 4xx (never a 500), and the typing kept."""

import pytest

from tests.helpers import (
    case_in,
    events_of,
    login_as,
    page,
    user_for,
    valid_form,
)

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
