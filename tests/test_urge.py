"""催办 (urge): a dispatcher reminds the cadre who holds an assigned case; the history records it."""

import pytest
from sqlalchemy import func, select

from casework import refusals, workflow
from casework.extensions import db
from casework.models import CaseEvent
from tests.helpers import KINDS, case_in, login_as, login_through_form, user_for

NOT_DISPATCHERS = ("assignee", "village_cadre", "leader", "admin")


def urges_of(case) -> int:
    stmt = select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "urge")
    return db.session.scalar(stmt)


def urge_form(case, note: str = "请今天内联系来电人") -> dict:
    return {"urge-note": note, "urge-version": case.version}


# --- the service ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_urge_is_written_in_the_history_and_leaves_the_case_with_its_cadre(world, make, kind):
    case = case_in(make, world, kind, "assigned")
    event = workflow.urge(case, world.dispatcher, note=" 请今天内联系来电人 ")
    db.session.commit()
    assert (event.action, event.actor_id, event.from_state, event.to_state) == (
        "urge",
        world.dispatcher.id,
        "assigned",
        "assigned",
    )
    assert event.note == "请今天内联系来电人" and event.data == {"assignee": world.cadre1.name}
    assert (case.state, case.assignee_id) == ("assigned", world.cadre1.id)


def test_the_note_may_be_left_out(world, make):
    case = case_in(make, world, "order", "assigned")
    assert workflow.urge(case, world.dispatcher).note == ""


@pytest.mark.parametrize("role", NOT_DISPATCHERS)
def test_only_a_dispatcher_may_urge(world, make, role):
    case = case_in(make, world, "order", "assigned")
    assert "urge" in workflow.allowed_actions(world.dispatcher, case)
    assert "urge" not in workflow.allowed_actions(user_for(world, role), case)
    with pytest.raises(refusals.Forbidden):
        workflow.urge(case, user_for(world, role))
    assert urges_of(case) == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", ["received", "resolved"])
def test_only_an_assigned_case_can_be_urged(world, make, kind, state):
    case = case_in(make, world, kind, state)
    assert "urge" not in workflow.allowed_actions(world.dispatcher, case)
    with pytest.raises(refusals.ActionNotPossible):
        workflow.urge(case, world.dispatcher)
    assert urges_of(case) == 0


def test_an_urge_on_an_outdated_page_is_a_conflict(world, make):
    case = case_in(make, world, "order", "assigned")
    with pytest.raises(refusals.StaleCase):
        workflow.urge(case, world.dispatcher, expected_version=case.version - 1)


# --- the case page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_dispatcher_urges_from_the_case_page(world, make, client, kind):
    case = case_in(make, world, kind, "assigned")
    login_as(client, world.dispatcher)
    assert f'action="/cases/{case.id}/urge"' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    r = client.post(f"/cases/{case.id}/urge", data=urge_form(case), follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.request.path == f"/cases/{case.id}" and "Done: Urge." in page
    timeline = page[page.index('class="timeline"') :]
    assert "Urge" in timeline and "请今天内联系来电人" in timeline and world.cadre1.name in timeline
    assert urges_of(case) == 1


def test_a_cadre_is_not_offered_the_urge_and_is_refused_with_403(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)
    assert f'action="/cases/{case.id}/urge"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    r = client.post(f"/cases/{case.id}/urge", data=urge_form(case))
    assert r.status_code == 403 and "You may not do this on this case." in r.get_data(as_text=True)
    assert urges_of(case) == 0


@pytest.mark.parametrize("state", ["received", "resolved"])
def test_a_case_not_assigned_is_not_offered_the_urge_and_refuses_it(world, make, client, state):
    case = case_in(make, world, "order", state)
    login_as(client, world.dispatcher)
    assert f'action="/cases/{case.id}/urge"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    r = client.post(f"/cases/{case.id}/urge", data=urge_form(case))
    assert r.status_code == 409 and "The action “Urge” is not possible" in r.get_data(as_text=True)
    assert urges_of(case) == 0


def test_a_second_tap_says_the_case_was_already_urged(world, make, client):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.dispatcher)
    form = urge_form(case)
    assert client.post(f"/cases/{case.id}/urge", data=form).status_code == 302
    r = client.post(f"/cases/{case.id}/urge", data=form, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.request.path == f"/cases/{case.id}"
    assert "You already urged this case." in page and "changed by someone else" not in page
    assert urges_of(case) == 1


def test_the_urge_is_in_chinese(chinese_client, world, make):
    case = case_in(make, world, "order", "assigned")
    login_through_form(chinese_client, "dispatcher")
    form = urge_form(case)
    chinese_client.post(f"/cases/{case.id}/urge", data=form)
    page = chinese_client.post(f"/cases/{case.id}/urge", data=form, follow_redirects=True).get_data(as_text=True)
    assert "催办" in page and "您已催办过此件。" in page
