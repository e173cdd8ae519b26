"""History: one event per action, written with the change, and never changed or deleted afterwards."""

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from casework import refusals, workflow
from casework.extensions import db
from casework.models import Case, CaseEvent, HistoryIsAppendOnly
from tests.helpers import case_in, perform


def events(case: Case) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


STEPS = [
    # (kind, start state, actor attribute, action, from, to)
    ("order", "received", "dispatcher", "assign", "received", "assigned"),
    ("order", "assigned", "dispatcher", "reassign", "assigned", "assigned"),
    ("order", "assigned", "cadre1", "return", "assigned", "received"),
    ("order", "assigned", "cadre1", "resolve", "assigned", "resolved"),
    ("order", "resolved", "dispatcher", "reopen", "resolved", "assigned"),
    ("order", "resolved", "dispatcher", "callback", "resolved", "resolved"),
    ("order", "assigned", "cadre1", "note", "assigned", "assigned"),
    ("order", "assigned", "cadre1", "convert", "assigned", "assigned"),
    ("dispute", "assigned", "cadre1", "escalate", "assigned", "assigned"),
    ("dispute", "assigned", "cadre1", "resolve", "assigned", "resolved"),
]


@pytest.mark.parametrize(("kind", "state", "who", "action", "from_state", "to_state"), STEPS)
def test_each_action_writes_exactly_one_event_with_actor_states_and_note(
    world, make, kind, state, who, action, from_state, to_state
):
    case = case_in(make, world, kind, state)
    actor = getattr(world, who)
    perform(action, case, actor, world)
    db.session.commit()
    [event] = events(case)
    assert (event.action, event.actor_id, event.from_state, event.to_state) == (action, actor.id, from_state, to_state)
    assert event.at is not None and event.at.tzinfo is not None


@pytest.mark.parametrize(
    ("action", "field", "typed"),
    [("return", "reason", "不是本村的"), ("reopen", "reason", "来电人不满意"), ("note", "note", "已电话联系")],
)
def test_the_reason_or_note_is_the_event_note(world, make, action, field, typed):
    case = case_in(make, world, "order", "resolved" if action == "reopen" else "assigned")
    actor = world.dispatcher if action == "reopen" else world.cadre1
    perform(action, case, actor, world, **{field: f"  {typed} "})
    db.session.commit()
    assert events(case)[0].note == typed


def test_the_event_is_in_the_same_transaction_as_the_change(world, make):
    case = case_in(make, world, "order", "assigned")
    workflow.resolve(case, world.cadre1, result="已修好")
    db.session.rollback()  # the caller gives up: neither the change nor its event remain
    db.session.refresh(case)
    assert case.state == "assigned" and events(case) == []


def test_a_refused_action_writes_no_event(world, make):
    case = case_in(make, world, "order", "assigned")
    with pytest.raises(refusals.InvalidInput):
        workflow.resolve(case, world.cadre1, result=" ")
    db.session.commit()
    assert events(case) == []


def test_a_whole_life_reads_back_in_order(world, make):
    case = case_in(make, world, "order", "received")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1)
    workflow.return_to_dispatcher(case, world.cadre1, reason="不是本村的")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1b)
    workflow.resolve(case, world.cadre1b, result="已修好")
    workflow.record_callback(case, world.dispatcher, solved=True, satisfaction="basic")
    db.session.commit()
    trail = [(e.action, e.from_state, e.to_state) for e in events(case)]
    assert trail == [
        ("assign", "received", "assigned"),
        ("return", "assigned", "received"),
        ("assign", "received", "assigned"),
        ("resolve", "assigned", "resolved"),
        ("callback", "resolved", "resolved"),
    ]


# --- append-only ---------------------------------------------------------------------------------


@pytest.fixture
def written(world, make) -> CaseEvent:
    case = case_in(make, world, "order", "assigned")
    event = workflow.add_note(case, world.cadre1, note="原始记录")
    db.session.commit()
    return event


def test_changing_an_event_through_the_orm_raises(written):
    written.note = "改过的记录"
    with pytest.raises(HistoryIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(CaseEvent, written.id).note == "原始记录"


def test_deleting_an_event_through_the_orm_raises(written):
    db.session.delete(written)
    with pytest.raises(HistoryIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(CaseEvent, written.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_events SET note = 'tampered'",
        "UPDATE case_events SET action = 'resolve' WHERE id = :id",
        "DELETE FROM case_events WHERE id = :id",
        "DELETE FROM case_events",
    ],
)
def test_raw_sql_update_or_delete_is_stopped_by_the_database(written, statement):
    with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
        conn.execute(text(statement), {"id": written.id})
    assert "append-only" in str(refused.value)
    db.session.expire_all()
    assert db.session.get(CaseEvent, written.id).note == "原始记录"


@pytest.mark.parametrize("bulk", ["update", "delete"])
def test_orm_bulk_statements_are_stopped_by_the_database(written, bulk):
    statement = (update(CaseEvent).values(note="tampered") if bulk == "update" else delete(CaseEvent)).where(
        CaseEvent.id == written.id
    )
    with pytest.raises(DBAPIError):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 1
    assert db.session.get(CaseEvent, written.id).note == "原始记录"
