"""Two people acting on the same case at once: one wins, the other is told (StaleCase); no update is lost.

Each person works in their own app context, hence their own session and database connection.
"""

import pytest
from sqlalchemy import func, select

from casework import refusals, workflow
from casework.extensions import db
from casework.models import Case, CaseEvent, User
from tests.conftest import PG_URL
from tests.helpers import Person, blocked_on_a_lock, case_in


def opens(case_id: int, user_id: int):
    """Loads the case page: the case and the acting user, as this person's session sees them now."""

    def load():
        return db.session.get(Case, case_id), db.session.get(User, user_id)

    return load


def reassigns(world):
    def act(loaded):
        case, dispatcher = loaded
        workflow.reassign(case, dispatcher, assignee=db.session.get(User, world.cadre1b.id))

    return act


def resolves(world):
    def act(loaded):
        case, cadre = loaded
        workflow.resolve(case, cadre, result="已修好")

    return act


def commit():
    db.session.commit()


def final(case_id: int) -> tuple[Case, list[str]]:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    actions = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return case, list(actions)


@pytest.fixture
def contested(world, make) -> int:
    case_id = case_in(make, world, "order", "assigned").id
    for user in (world.dispatcher, world.cadre1, world.cadre1b):
        db.session.refresh(user)  # keep their ids readable once this session is gone
    db.session.remove()  # the test's own session holds nothing while the two people work
    return case_id


def test_acting_on_a_version_someone_else_already_committed_raises_stale_case(world, contested, people):
    """Both load version 1; the dispatcher reassigns and commits; the cadre's resolve must not overwrite it."""
    dispatcher, cadre = people(), people()
    seen_by_dispatcher = dispatcher.do(opens(contested, world.dispatcher.id))
    seen_by_cadre = cadre.do(opens(contested, world.cadre1.id))
    dispatcher.do(lambda: reassigns(world)(seen_by_dispatcher))
    dispatcher.do(commit)
    with pytest.raises(refusals.StaleCase):
        cadre.do(lambda: resolves(world)(seen_by_cadre))
    case, actions = final(contested)
    assert (case.state, case.assignee_id, case.version, actions) == ("assigned", world.cadre1b.id, 2, ["reassign"])


def test_two_notes_at_once_are_both_kept(world, contested, people):
    """A note changes no field of the case, so concurrent notes never conflict and neither is lost."""
    dispatcher, cadre = people(), people()
    by_dispatcher = dispatcher.do(opens(contested, world.dispatcher.id))
    by_cadre = cadre.do(opens(contested, world.cadre1.id))
    dispatcher.do(lambda: workflow.add_note(by_dispatcher[0], by_dispatcher[1], note="催办"))

    def cadre_notes_and_commits():
        workflow.add_note(by_cadre[0], by_cadre[1], note="已联系")
        db.session.commit()

    pending = cadre.start(cadre_notes_and_commits)  # SQLite: waits for the dispatcher's commit
    dispatcher.do(commit)
    Person.outcome(pending)
    assert final(contested)[1] == ["note", "note"]


def both_act_at_once(world, case_id, people, first: str, watch_lock_on: str | None = None) -> dict:
    """Both load version 1; the first writes (holding the row); the second writes while it does; both commit."""
    dispatcher, cadre = people(), people()
    acts = {dispatcher: reassigns(world), cadre: resolves(world)}
    seen = {
        dispatcher: dispatcher.do(opens(case_id, world.dispatcher.id)),
        cadre: cadre.do(opens(case_id, world.cadre1.id)),
    }
    one, two = (dispatcher, cadre) if first == "dispatcher" else (cadre, dispatcher)
    one.do(lambda: acts[one](seen[one]))

    def second_acts_and_commits():
        acts[two](seen[two])
        db.session.commit()

    pending = two.start(second_acts_and_commits)
    if watch_lock_on:
        assert blocked_on_a_lock(watch_lock_on, two), "the second writer never reached the row lock"
    one.do(commit)
    try:
        Person.outcome(pending)
        return {"second": "won"}
    except refusals.StaleCase:
        return {"second": "stale"}


def check_first_won(world, case_id, first: str) -> None:
    case, actions = final(case_id)
    assert case.version == 2
    if first == "dispatcher":
        assert (case.state, case.assignee_id, case.result, actions) == (
            "assigned",
            world.cadre1b.id,
            None,
            ["reassign"],
        )
    else:
        assert (case.state, case.assignee_id, case.result, actions) == (
            "resolved",
            world.cadre1.id,
            "已修好",
            ["resolve"],
        )


@pytest.mark.parametrize("first", ["dispatcher", "cadre"])
def test_two_people_acting_at_once_one_wins_and_nothing_is_lost(world, contested, people, first):
    assert both_act_at_once(world, contested, people, first) == {"second": "stale"}
    check_first_won(world, contested, first)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set CASEWORK_TEST_DATABASE_URL")
@pytest.mark.parametrize("first", ["dispatcher", "cadre"])
def test_on_postgresql_the_second_writer_waits_on_the_row_then_gets_stale_case(world, contested, people, first):
    assert both_act_at_once(world, contested, people, first, watch_lock_on=PG_URL) == {"second": "stale"}
    check_first_won(world, contested, first)


def test_the_version_goes_up_with_every_change(world, make):
    case = case_in(make, world, "order", "received")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1)
    workflow.add_note(case, world.cadre1, note="收到")
    workflow.resolve(case, world.cadre1, result="已修好")
    db.session.commit()
    assert case.version == 3  # assign, resolve; a note changes no field
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 3


def test_two_conversions_of_one_order_at_once_make_one_dispute(world, contested, people):
    first, second = people(), people()
    seen = {p: p.do(opens(contested, world.cadre1.id)) for p in (first, second)}

    def converts(person):
        def act():
            case, cadre = seen[person]
            workflow.convert_to_dispute(case, cadre, category="邻里纠纷", content="占道", parties=[{"name": "甲"}])
            db.session.commit()

        return act

    first.do(converts(first))
    with pytest.raises(refusals.StaleCase):
        second.do(converts(second))
    assert final(contested)[1] == ["convert"]
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.kind == "dispute")) == 1
