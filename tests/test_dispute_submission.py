"""One form, one dispute: a form sent twice (a double tap on a phone) registers once, and the second
submit is told which dispute the first one registered, with the typing kept."""

import re

import pytest
from sqlalchemy import func, select

from casework import refusals, workflow
from casework.extensions import db
from casework.models import Case, CaseEvent, User, Village
from tests.conftest import PG_URL
from tests.helpers import Person, blocked_on_a_lock, convert_form, dispute_form

KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def key_of(page: str) -> str:
    return KEY.search(page).group(1)


def dispute_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(Case.kind == "dispute"))


def test_every_opening_of_the_form_carries_its_own_key(world, auth, client):
    auth.login(world.dispatcher)
    first, second = (key_of(client.get("/disputes/new").get_data(as_text=True)) for _ in range(2))
    assert first != second and len(first) >= 20


def test_a_form_sent_twice_registers_one_dispute_and_names_it_to_the_second(world, auth, client, english):
    auth.login(world.dispatcher)
    key = key_of(client.get("/disputes/new").get_data(as_text=True))
    data = dispute_form(world.v1, submission_key=key, content="两户因排水沟堵塞发生争执，第二次提交")
    assert client.post("/disputes/new", data=data).status_code == 302
    r = client.post("/disputes/new", data=data)
    page = r.get_data(as_text=True)
    [case] = db.session.scalars(select(Case).where(Case.kind == "dispute"))
    assert r.status_code == 409
    assert f'This form was already sent: it registered dispute <a href="/cases/{case.id}">{case.number}</a>.' in page
    assert "两户因排水沟堵塞发生争执，第二次提交" in page and "王大山" in page and key_of(page) == key


def test_the_key_survives_a_refusal_and_an_added_row_and_then_registers(world, auth, client):
    auth.login(world.dispatcher)
    key = key_of(client.get("/disputes/new").get_data(as_text=True))
    refused = client.post("/disputes/new", data=dispute_form(world.v1, submission_key=key, content=""))
    grown = client.post("/disputes/new", data=dispute_form(world.v1, submission_key=key, add_party="1"))
    assert (refused.status_code, key_of(refused.get_data(as_text=True))) == (422, key)
    assert key_of(grown.get_data(as_text=True)) == key
    assert client.post("/disputes/new", data=dispute_form(world.v1, submission_key=key)).status_code == 302
    assert db.session.scalar(select(Case.submission_key).where(Case.kind == "dispute")) == key


def test_two_forms_register_two_disputes(world, auth, client):
    auth.login(world.dispatcher)
    for _ in range(2):
        key = key_of(client.get("/disputes/new").get_data(as_text=True))
        assert client.post("/disputes/new", data=dispute_form(world.v1, submission_key=key)).status_code == 302
    assert dispute_count() == 2


def test_a_damaged_key_is_refused_with_a_message_not_a_500(world, auth, client, english):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, submission_key="k" * 41))
    assert r.status_code == 422
    assert "This form cannot be sent; open it again." in r.get_data(as_text=True)
    assert dispute_count() == 0


def test_a_conversion_sent_twice_names_its_dispute_rather_than_a_conflict(world, auth, client, make, english):
    order = make.order(world.v1)
    auth.login(world.dispatcher)
    key = key_of(client.get(f"/disputes/from-order/{order.id}").get_data(as_text=True))
    data = convert_form(order, submission_key=key)
    assert client.post(f"/disputes/from-order/{order.id}", data=data).status_code == 302
    r = client.post(f"/disputes/from-order/{order.id}", data=data)
    page = r.get_data(as_text=True)
    [dispute] = order.derived
    assert r.status_code == 409
    assert f'it registered dispute <a href="/cases/{dispute.id}">{dispute.number}</a>' in page
    assert refusals.STALE not in page and "两户因排水沟堵塞发生争执（由工单转来）" in page
    actions = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == order.id))
    assert list(actions) == ["convert"]


# --- two submits at the same moment, each on its own connection ---------------------------------


@pytest.fixture
def ids(world) -> dict:
    found = {"village": world.v1.id, "dispatcher": world.dispatcher.id}
    db.session.remove()  # the test's own session holds nothing while the two submits run
    return found


def registers(ids: dict, key: str, commit: bool = False):
    def act():
        dispatcher, village = db.session.get(User, ids["dispatcher"]), db.session.get(Village, ids["village"])
        case = workflow.register_dispute(
            dispatcher,
            village=village,
            category="邻里纠纷",
            source="来访",
            content="排水沟堵塞",
            parties=[{"name": "王大山"}],
            submission_key=key,
        )
        if commit:
            db.session.commit()
        return case.number

    return act


def test_two_submits_of_one_form_at_the_same_moment_register_one_dispute(ids, people):
    first, second = people(), people()
    number = first.do(registers(ids, "same-form"))  # inserted, not yet committed
    pending = second.start(registers(ids, "same-form", commit=True))
    if PG_URL:  # the unique key makes the second insert wait for the first transaction
        assert blocked_on_a_lock(PG_URL, second), "the second submit never waited on the first"
    first.do(db.session.commit)
    with pytest.raises(refusals.AlreadySubmitted) as refused:
        Person.outcome(pending)
    assert refused.value.params == {"number": number}
    assert dispute_count() == 1
