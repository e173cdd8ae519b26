"""Bulk assignment from the queue: each ticked case to its village's default cadre or a chosen one, or why not."""

import pytest

from casework.extensions import db
from casework.models import Case
from tests.helpers import login_as


def bulk(client, cases, assignee="default"):
    return client.post(
        "/queue/assign", data={"case_ids": [c.id for c in cases], "assignee": assignee}, follow_redirects=True
    )


def state_of(case):
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return fresh.state, fresh.assignee_id


def test_bulk_assign_gives_each_case_to_its_villages_default_cadre(world, make, client):
    a, b, c = make.order(world.v1), make.order(world.v2), make.order(world.v3)
    login_as(client, world.dispatcher)
    r = bulk(client, [a, b, c])
    assert "3 assigned." in r.get_data(as_text=True)
    assert [state_of(x) for x in (a, b, c)] == [
        ("assigned", world.cadre1.id),
        ("assigned", world.cadre2.id),
        ("assigned", world.cadre3.id),
    ]
    assert [e.action for e in db.session.get(Case, a.id).events] == ["assign"]


def test_bulk_assign_to_a_chosen_cadre_skips_cases_outside_their_villages(world, make, client):
    a, b = make.order(world.v1), make.order(world.v2)
    login_as(client, world.dispatcher)
    text = bulk(client, [a, b], assignee=str(world.cadre1b.id)).get_data(as_text=True)
    assert "1 assigned." in text
    assert f"{b.number} not assigned: {world.cadre1b.name} does not serve this case" in text
    assert state_of(a) == ("assigned", world.cadre1b.id) and state_of(b) == ("received", None)


def test_bulk_assign_skips_each_case_that_cannot_go_with_its_reason(world, make, client):
    nowhere = make.order(None)
    no_default = make.order(make.village("无人村"))
    taken = make.order(world.v1, state="assigned", assignee=world.cadre1b)
    fine = make.order(world.v2)
    login_as(client, world.dispatcher)
    text = bulk(client, [nowhere, no_default, taken, fine]).get_data(as_text=True)
    assert "1 assigned." in text
    assert f"{nowhere.number} not assigned: Set the case" in text
    assert f"{no_default.number} not assigned: The village has no default cadre" in text
    assert f"{taken.number} not assigned: The action" in text
    assert state_of(taken) == ("assigned", world.cadre1b.id) and state_of(fine)[0] == "assigned"
    assert db.session.get(Case, nowhere.id).events == []


@pytest.mark.parametrize("assignee", ["abc", "99999", str(10**20)])
def test_bulk_assign_to_an_unknown_cadre_assigns_nothing(world, make, client, assignee):
    case = make.order(world.v1)
    login_as(client, world.dispatcher)
    r = bulk(client, [case], assignee=assignee)
    assert "Choose a cadre to assign to." in r.get_data(as_text=True)
    assert state_of(case) == ("received", None)


def test_bulk_assign_with_nothing_ticked_says_so(world, client):
    login_as(client, world.dispatcher)
    assert "Tick the cases to assign first." in bulk(client, []).get_data(as_text=True)
