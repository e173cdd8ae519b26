"""Escalation (上报) through the three tiers: the next tier's case goes only to someone who mediates there,
the district's mediator, then the township centre's staff; reassigning an escalated dispute stays at its tier."""

import re

import pytest

from casework import refusals, workflow
from casework.extensions import db
from tests.helpers import login_as, page


@pytest.fixture
def centre_mediator(make):
    """A cadre of the township centre (综治中心): serves no village and mediates no district."""
    return make.user("cadre", name="罗德福", username="centre1")


def dispute(make, world, tier="village", village=None, assignee=None):
    """An assigned dispute at `tier`, of village v1 held by cadre1 unless said otherwise."""
    return make.order(
        village or world.v1,
        kind="dispute",
        number=f"JF2026-{make.n():05d}",
        state="assigned",
        tier=tier,
        category="邻里纠纷",
        assignee=assignee or world.cadre1,
    )


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(refusals.InvalidInput) as info:
        call(*args, **kwargs)
    assert info.value.field == "assignee"
    db.session.rollback()
    return str(info.value)


# --- to the district: its mediator ------------------------------------------------------------


def test_the_district_tier_goes_to_the_districts_mediator(world, make):
    case = dispute(make, world)
    event = workflow.escalate(case, world.cadre1, assignee=world.cadre2)  # 北片区's mediator
    assert (case.tier, case.assignee_id, event.data["tier"]) == ("district", world.cadre2.id, "district")


@pytest.mark.parametrize("who", ["cadre1b", "cadre3", "dispatcher"])
def test_the_district_tier_refuses_anyone_but_its_mediator_and_names_them(world, make, who):
    case = dispute(make, world)
    message = refused(workflow.escalate, case, world.cadre1, assignee=getattr(world, who))
    assert "北片区" in message and world.cadre2.name in message
    assert (case.tier, case.assignee_id) == ("village", world.cadre1.id)


def test_a_district_without_a_mediator_cannot_take_the_case(world, make):
    case = dispute(make, world, village=world.v3, assignee=world.cadre3)  # 南片区 has no mediator
    message = refused(workflow.escalate, case, world.cadre3, assignee=world.cadre2)
    assert "no mediation district with an active mediator" in message


def test_an_inactive_mediator_cannot_take_the_case(world, make):
    world.cadre2.active = False
    db.session.commit()
    message = refused(workflow.escalate, dispute(make, world), world.cadre1, assignee=world.cadre2)
    assert "no mediation district with an active mediator" in message


# --- to the centre: its staff -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["dispatcher", "centre"])
def test_the_centre_tier_goes_to_a_dispatcher_or_a_centre_mediator(world, make, centre_mediator, who):
    person = centre_mediator if who == "centre" else world.dispatcher
    case = dispute(make, world, tier="district", assignee=world.cadre2)
    workflow.escalate(case, world.cadre2, assignee=person)
    assert (case.tier, case.assignee_id) == ("centre", person.id)


@pytest.mark.parametrize("who", ["cadre1", "cadre2", "leader"])
def test_the_centre_tier_refuses_village_cadres_district_mediators_and_leaders(world, make, centre_mediator, who):
    case = dispute(make, world, tier="district", assignee=world.cadre2)
    message = refused(workflow.escalate, case, world.cadre2, assignee=getattr(world, who))
    assert "township centre" in message and getattr(world, who).name in message
    assert case.tier == "district"


def test_the_centre_staff_are_dispatchers_and_unattached_cadres(world, make, centre_mediator):
    district_only = make.user("cadre", name="杨国庆")
    world.south.mediator = district_only
    make.user("cadre", name="退休调解员", active=False)
    db.session.commit()
    assert [u.name for u in workflow.centre_staff()] == sorted([centre_mediator.name]) + [world.dispatcher.name]


# --- reassigning an escalated dispute ---------------------------------------------------------


def test_reassigning_at_the_district_tier_goes_to_its_current_mediator(world, make):
    case = dispute(make, world, tier="district", assignee=world.cadre2)
    new_mediator = make.user("cadre", name="黄淑芬")
    world.north.mediator = new_mediator
    db.session.commit()
    refused(workflow.reassign, case, world.dispatcher, assignee=world.cadre1b)  # serves the village: not enough
    workflow.reassign(case, world.dispatcher, assignee=new_mediator)  # serves no village: still right
    assert (case.tier, case.assignee_id) == ("district", new_mediator.id)


def test_reassigning_at_the_centre_stays_with_the_centre(world, make, centre_mediator):
    case = dispute(make, world, tier="centre", assignee=world.dispatcher)
    message = refused(workflow.reassign, case, world.dispatcher, assignee=world.cadre1)
    assert "township centre" in message
    workflow.reassign(case, world.dispatcher, assignee=centre_mediator)
    assert case.assignee_id == centre_mediator.id


def test_reassigning_at_the_village_tier_still_needs_a_cadre_of_the_village(world, make, centre_mediator):
    case = dispute(make, world)
    assert "does not serve" in refused(workflow.reassign, case, world.dispatcher, assignee=centre_mediator)
    workflow.reassign(case, world.dispatcher, assignee=world.cadre1b)
    assert case.assignee_id == world.cadre1b.id


# --- the forms offer exactly those people -----------------------------------------------------


def offered(html: str, action: str) -> dict[int, bool]:
    """The people a form's assignee list offers: id -> preselected."""
    select = re.search(rf'<select[^>]*name="{action}-assignee".*?</select>', html, re.S).group(0)
    return {
        int(value): "selected" in attrs
        for attrs, value in ((m.group(0), m.group(1)) for m in re.finditer(r'<option[^>]*value="(\d+)"[^>]*>', select))
        if int(value)
    }


def test_the_escalation_form_offers_the_districts_mediator_preselected(world, make, client):
    case = dispute(make, world)
    login_as(client, world.dispatcher)
    assert offered(page(client.get(f"/cases/{case.id}")), "escalate") == {world.cadre2.id: True}


def test_an_escalated_disputes_forms_offer_the_centre_staff(world, make, client, centre_mediator):
    case = dispute(make, world, tier="centre", assignee=world.dispatcher)
    login_as(client, world.dispatcher)
    choices = offered(page(client.get(f"/cases/{case.id}")), "reassign")
    assert set(choices) == {world.dispatcher.id, centre_mediator.id} and not any(choices.values())


def test_escalating_to_someone_else_over_http_is_a_422_naming_the_mediator(world, make, client):
    case = dispute(make, world)
    login_as(client, world.cadre1)
    data = {"escalate-assignee": world.cadre3.id, "escalate-note": "我写的调解记录", "escalate-version": case.version}
    response = client.post(f"/cases/{case.id}/escalate", data=data)
    assert response.status_code == 422
    assert world.cadre2.name in page(response) and "我写的调解记录" in page(response)
    db.session.refresh(case)
    assert (case.tier, case.assignee_id) == ("village", world.cadre1.id)
