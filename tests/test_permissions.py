"""Who sees what: can_view and its SQL twin agree, outsiders get 404, callers' phones are masked."""

import pytest
from sqlalchemy import select

from casework import permissions as perm
from casework.extensions import db
from casework.models import Case, Party
from tests.helpers import ROLES, case_in, login_as, user_for


def visible_ids(user) -> set[int]:
    return set(db.session.scalars(select(Case.id).where(perm.visible_cases(user))))


@pytest.fixture
def spread(world, make):
    """One case per village, one case of v3 assigned to cadre1 (a cadre may hold a case outside their villages)."""
    return {
        "v1": make.order(world.v1),
        "v2": make.order(world.v2),
        "v3": make.order(world.v3),
        "v3_held_by_cadre1": make.order(world.v3, state="assigned", assignee=world.cadre1),
        "nowhere": make.order(None),
    }


SEES = {
    "admin": {"v1", "v2", "v3", "v3_held_by_cadre1", "nowhere"},
    "dispatcher": {"v1", "v2", "v3", "v3_held_by_cadre1", "nowhere"},
    "leader": {"v1", "v2", "v3", "v3_held_by_cadre1", "nowhere"},
    "assignee": {"v1", "v3_held_by_cadre1"},  # cadre1: their village and the case they hold
    "village_cadre": {"v1"},  # cadre1b
    "other_cadre": {"v3", "v3_held_by_cadre1"},  # cadre3 serves v3
}


@pytest.mark.parametrize("role", ROLES)
def test_can_view_follows_villages_served_and_cases_held(world, spread, role):
    user = user_for(world, role)
    assert {name for name, case in spread.items() if perm.can_view(user, case)} == SEES[role]


@pytest.mark.parametrize("role", ROLES)
def test_visible_cases_in_sql_matches_can_view(world, spread, role):
    user = user_for(world, role)
    assert visible_ids(user) == {case.id for case in spread.values() if perm.can_view(user, case)}


def test_a_cadre_without_villages_sees_only_what_they_hold(world, make, spread):
    loner = make.user("cadre")
    held = make.order(world.v2, state="assigned", assignee=loner)
    assert visible_ids(loner) == {held.id}


def test_an_inactive_user_sees_nothing(world, spread):
    world.leader.active = False
    db.session.commit()
    assert not perm.can_view(world.leader, spread["v1"]) and visible_ids(world.leader) == set()


def test_anonymous_sees_nothing(app, world, spread):
    from flask_login import AnonymousUserMixin

    anonymous = AnonymousUserMixin()
    assert not perm.can_view(anonymous, spread["v1"]) and visible_ids(anonymous) == set()


@pytest.mark.parametrize("path", ["/cases/{id}", "/cases/{id}/note", "/cases/{id}/resolve", "/cases/{id}/return"])
def test_a_cadre_of_another_village_gets_404(world, spread, client, path):
    login_as(client, world.cadre2)
    url = path.format(id=spread["v1"].id)
    r = client.get(url) if path == "/cases/{id}" else client.post(url, data={"note-note": "x"})
    assert r.status_code == 404


def test_cadres_may_not_open_the_queue(world, client):
    login_as(client, world.cadre1)
    assert client.get("/queue").status_code == 403


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leaders_and_admins_read_any_case_page(world, spread, client, role):
    login_as(client, user_for(world, role))
    assert client.get(f"/cases/{spread['v3'].id}").status_code == 200


@pytest.mark.parametrize("role", ["leader", "admin", "village_cadre", "other_cadre"])
def test_only_dispatchers_bulk_assign(world, spread, client, role):
    login_as(client, user_for(world, role))
    r = client.post("/queue/assign", data={"case_ids": [spread["v1"].id], "assignee": "default"})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Case, spread["v1"].id).state == "received"


# --- masking -----------------------------------------------------------------------------------

MASKED, CLEAR = "138****5678", "13812345678"


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("dispatcher", CLEAR),
        ("assignee", CLEAR),
        ("leader", MASKED),
        ("admin", MASKED),
        ("village_cadre", MASKED),
    ],
)
def test_the_caller_phone_is_masked_unless_the_viewer_may_see_it(world, make, client, role, shown):
    case = case_in(make, world, "order", "assigned", caller_phone=CLEAR, caller_name="张三丰")
    login_as(client, user_for(world, role))
    text = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert shown in text
    if shown == MASKED:
        assert CLEAR not in text and "张三丰" not in text


def test_party_contacts_of_a_dispute_are_masked_for_a_leader(world, make, client):
    case = case_in(make, world, "dispute", "assigned")
    case.parties = [Party(name="王五", contact=CLEAR)]
    db.session.commit()
    login_as(client, world.leader)
    text = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert MASKED in text and CLEAR not in text


@pytest.mark.parametrize(
    ("role", "may"), [("dispatcher", True), ("assignee", True), ("village_cadre", False), ("leader", False)]
)
def test_can_see_caller(world, make, role, may):
    case = case_in(make, world, "order", "assigned")
    assert perm.can_see_caller(user_for(world, role), case) is may


def test_a_cadre_made_leader_no_longer_acts_on_the_cases_they_held(world, make):
    from casework import refusals, workflow

    case = make.order(world.v1, state="assigned", assignee=world.cadre1)
    world.cadre1.role = "leader"
    db.session.commit()
    assert workflow.allowed_actions(world.cadre1, case) == []
    with pytest.raises(refusals.Forbidden):
        workflow.resolve(case, world.cadre1, result="已处理")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("88886666", "******66"),  # a landline: too short to keep seven digits in clear
        ("1234567", "*****67"),
        ("12345", "***45"),
        ("", ""),
    ],
)
def test_a_masked_phone_never_shows_most_of_its_digits(phone, masked):
    from casework.display import mask_phone

    assert mask_phone(phone) == masked
