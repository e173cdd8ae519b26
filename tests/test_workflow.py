"""The state machine through its services: who may do what, in which state, and what each action needs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework import refusals, workflow
from casework.extensions import db
from casework.models import Case, CaseEvent
from tests.helpers import MATRIX, case_in, expected_actions, perform, user_for

SERVICE_ACTIONS = ("assign", "reassign", "return", "resolve", "reopen", "escalate", "callback", "convert", "note")


def event_count(case: Case | None = None) -> int:
    stmt = select(func.count()).select_from(CaseEvent)
    if case is not None:
        stmt = stmt.where(CaseEvent.case_id == case.id)
    return db.session.scalar(stmt)


@pytest.mark.parametrize(("role", "kind", "state"), MATRIX)
def test_allowed_actions_are_exactly_what_the_role_may_do(world, make, role, kind, state):
    case = case_in(make, world, kind, state)
    assert workflow.allowed_actions(user_for(world, role), case) == expected_actions(role, kind, state)


def outcome_of_service(action: str, case: Case, actor, world) -> str:
    """'done' (one event written) or 'refused' (NotAllowed/Forbidden, nothing written); anything else is shown."""
    before = event_count()
    try:
        perform(action, case, actor, world)
        db.session.commit()
    except (refusals.NotAllowed, refusals.Forbidden):
        db.session.rollback()
        return "refused" if event_count() == before else "refused but wrote an event"
    return "done" if event_count(case) == 1 else f"done with {event_count(case)} events"


@pytest.mark.parametrize(("role", "kind", "state"), MATRIX)
def test_each_service_does_or_refuses_as_the_table_says(world, make, role, kind, state):
    """Every action, each on a fresh case: done when the role may, refused (and nothing written) otherwise."""
    actor, allowed = user_for(world, role), expected_actions(role, kind, state)
    outcomes = {a: outcome_of_service(a, case_in(make, world, kind, state), actor, world) for a in SERVICE_ACTIONS}
    assert outcomes == {a: "done" if a in allowed else "refused" for a in SERVICE_ACTIONS}


# --- states reached --------------------------------------------------------------------------


def test_assign_gives_the_case_to_the_cadre_and_marks_it_acknowledged(world, make):
    case = case_in(make, world, "order", "received")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1)
    db.session.commit()
    assert (case.state, case.assignee_id) == ("assigned", world.cadre1.id)
    assert case.acknowledged_at is not None


def test_assign_sets_an_unknown_village(world, make):
    case = make.order(None)
    workflow.assign(case, world.dispatcher, assignee=world.cadre2, village=world.v2)
    db.session.commit()
    assert (case.village_id, case.assignee_id) == (world.v2.id, world.cadre2.id)


def test_return_sends_the_case_back_unassigned(world, make):
    case = case_in(make, world, "order", "assigned")
    workflow.return_to_dispatcher(case, world.cadre1, reason="不是本村的")
    db.session.commit()
    assert (case.state, case.assignee_id) == ("received", None)


def test_dispatcher_resolves_on_behalf_of_the_cadre(world, make):
    case = case_in(make, world, "order", "assigned")
    event = workflow.resolve(case, world.dispatcher, result="已修好")
    db.session.commit()
    assert case.state == "resolved" and case.resolved_at is not None
    assert event.data["on_behalf"] == world.cadre1.name


def test_reopen_counts_and_clears_the_result_and_callback(world, make):
    case = case_in(make, world, "order", "resolved", callback_solved=False, callback_satisfaction="unsatisfied")
    case.callback_at = datetime(2026, 10, 12, tzinfo=UTC)
    db.session.commit()
    workflow.reopen(case, world.dispatcher, reason="不满意")
    workflow.resolve(case, world.cadre1, result="重新处理")
    workflow.reopen(case, world.dispatcher, reason="仍不满意")
    db.session.commit()
    assert (case.state, case.reopen_count, case.assignee_id) == ("assigned", 2, world.cadre1.id)
    assert case.result is None and case.callback_at is None and case.callback_satisfaction is None


def test_escalation_climbs_one_tier_at_a_time_and_stops_at_the_centre(world, make):
    case = case_in(make, world, "dispute", "assigned")
    workflow.escalate(case, world.cadre1, assignee=world.cadre2)
    assert case.tier == "district"
    workflow.escalate(case, world.cadre2, assignee=world.dispatcher)
    assert case.tier == "centre"
    with pytest.raises(refusals.NotAllowed) as refused:
        workflow.escalate(case, world.dispatcher, assignee=world.cadre3)
    assert "centre" in refused.value.message
    assert "escalate" not in workflow.allowed_actions(world.dispatcher, case)


def test_callback_is_recorded_once(world, make):
    case = case_in(make, world, "order", "resolved")
    workflow.record_callback(case, world.dispatcher, solved=False, satisfaction="basic")
    db.session.commit()
    assert (case.callback_solved, case.callback_satisfaction) == (False, "basic")
    with pytest.raises(refusals.NotAllowed) as refused:
        workflow.record_callback(case, world.dispatcher, solved=True, satisfaction="satisfied")
    assert "already" in refused.value.message
    assert "callback" not in workflow.allowed_actions(world.dispatcher, case)


def test_convert_links_the_order_and_the_dispute_both_ways(world, make):
    order = case_in(make, world, "order", "assigned")
    dispute = perform("convert", order, world.cadre1, world)
    db.session.commit()
    assert dispute.origin is order and order.derived == [dispute]
    assert (dispute.kind, dispute.state, dispute.tier, dispute.village_id) == (
        "dispute",
        "received",
        "village",
        world.v1.id,
    )
    assert [e.action for e in order.events] == ["convert"] and [e.action for e in dispute.events] == ["register"]


def test_dispute_numbers_follow_each_other_within_a_year(world, make):
    first = workflow.register_dispute(
        world.dispatcher, village=world.v1, category="邻里纠纷", source="来访", content="a", parties=[{"name": "甲"}]
    )
    second = workflow.register_dispute(
        world.dispatcher, village=world.v1, category="邻里纠纷", source="来访", content="b", parties=[{"name": "乙"}]
    )
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_a_cadre_may_not_register_a_dispute_in_a_village_they_do_not_serve(world):
    with pytest.raises(refusals.Forbidden):
        workflow.register_dispute(
            world.cadre3, village=world.v1, category="邻里纠纷", source="排查", content="a", parties=[{"name": "甲"}]
        )


def test_inactive_dispatcher_may_do_nothing(world, make):
    world.dispatcher.active = False
    db.session.commit()
    case = case_in(make, world, "order", "received")
    assert workflow.allowed_actions(world.dispatcher, case) == []
    with pytest.raises(refusals.Forbidden):
        workflow.assign(case, world.dispatcher, assignee=world.cadre1)


# --- required inputs -------------------------------------------------------------------------

REQUIRED = [
    ("order", "assigned", "return", "assignee", {"reason": "  "}, "reason"),
    ("order", "assigned", "resolve", "assignee", {"result": ""}, "result"),
    ("dispute", "assigned", "resolve", "assignee", {"outcome": None}, "outcome"),
    ("dispute", "assigned", "resolve", "assignee", {"outcome": "bogus"}, "outcome"),
    ("dispute", "assigned", "resolve", "assignee", {"agreement_terms": " "}, "agreement_terms"),
    ("dispute", "assigned", "resolve", "assignee", {"outcome": "failed"}, "failure_route"),
    ("order", "resolved", "reopen", "dispatcher", {"reason": ""}, "reason"),
    ("order", "received", "assign", "dispatcher", {"assignee": None}, "assignee"),
    ("dispute", "assigned", "escalate", "assignee", {"assignee": None}, "assignee"),
    ("order", "resolved", "callback", "dispatcher", {"solved": None}, "solved"),
    ("order", "resolved", "callback", "dispatcher", {"satisfaction": "happy"}, "satisfaction"),
    ("order", "assigned", "note", "assignee", {"note": " "}, "note"),
    ("order", "assigned", "convert", "assignee", {"parties": [{"name": " "}]}, "parties"),
    ("order", "assigned", "convert", "assignee", {"content": ""}, "content"),
]


@pytest.mark.parametrize(("kind", "state", "action", "role", "bad", "field"), REQUIRED)
def test_missing_input_is_refused_naming_the_field_and_changes_nothing(
    world, make, kind, state, action, role, bad, field
):
    case = case_in(make, world, kind, state)
    snapshot = (case.state, case.assignee_id, case.result, case.outcome, case.version)
    with pytest.raises(refusals.InvalidInput) as refused:
        perform(action, case, user_for(world, role), world, **bad)
    assert refused.value.field == field and refused.value.status == 422
    db.session.commit()  # even a caller that commits after a refusal keeps the case as it was
    db.session.refresh(case)
    assert (case.state, case.assignee_id, case.result, case.outcome, case.version) == snapshot
    assert event_count() == 0


@pytest.mark.parametrize("assignee", ["cadre2", "leader", "dispatcher"])
def test_assign_refuses_anyone_not_serving_the_village(world, make, assignee):
    case = case_in(make, world, "order", "received")
    with pytest.raises(refusals.InvalidInput) as refused:
        workflow.assign(case, world.dispatcher, assignee=getattr(world, assignee))
    assert refused.value.field == "assignee"


def test_assign_refuses_an_inactive_cadre(world, make):
    world.cadre1.active = False
    db.session.commit()
    with pytest.raises(refusals.InvalidInput):
        workflow.assign(case_in(make, world, "order", "received"), world.dispatcher, assignee=world.cadre1)


def test_assign_refused_for_a_bad_cadre_leaves_the_village_unchanged(world, make):
    case = make.order(None)
    with pytest.raises(refusals.InvalidInput):
        workflow.assign(case, world.dispatcher, assignee=world.cadre3, village=world.v2)
    db.session.commit()
    db.session.refresh(case)
    assert case.village_id is None


def test_assign_without_a_village_asks_for_one(world, make):
    with pytest.raises(refusals.InvalidInput) as refused:
        workflow.assign(make.order(None), world.dispatcher, assignee=world.cadre1)
    assert refused.value.field == "village"


def test_reassign_to_the_same_cadre_is_refused(world, make):
    case = case_in(make, world, "order", "assigned")
    with pytest.raises(refusals.InvalidInput):
        workflow.reassign(case, world.dispatcher, assignee=world.cadre1)


IN_A_MONTH = date.today() + timedelta(days=30)  # resolved now: a deadline before today would be refused


def test_settled_dispute_keeps_terms_and_performance_deadline(world, make):
    case = case_in(make, world, "dispute", "assigned")
    workflow.resolve(
        case,
        world.cadre1,
        result="双方和解",
        outcome="settled",
        agreement_terms="赔偿",
        performance_deadline=IN_A_MONTH,
    )
    db.session.commit()
    assert (case.outcome, case.agreement_terms, case.performance_deadline) == ("settled", "赔偿", IN_A_MONTH)


def test_failed_mediation_keeps_the_route_told(world, make):
    case = case_in(make, world, "dispute", "assigned")
    workflow.resolve(case, world.cadre1, result="未达成", outcome="failed", failure_route="告知可向法院起诉")
    db.session.commit()
    assert (case.outcome, case.failure_route) == ("failed", "告知可向法院起诉")


def test_escalation_needs_an_active_mediator(world, make):
    world.cadre2.active = False
    db.session.commit()
    with pytest.raises(refusals.InvalidInput):
        workflow.escalate(case_in(make, world, "dispute", "assigned"), world.cadre1, assignee=world.cadre2)


def test_escalation_refuses_a_leader_as_mediator(world, make):
    with pytest.raises(refusals.InvalidInput):
        workflow.escalate(case_in(make, world, "dispute", "assigned"), world.cadre1, assignee=world.leader)


def test_a_stale_expected_version_is_refused_before_anything_changes(world, make):
    case = case_in(make, world, "order", "assigned")
    with pytest.raises(refusals.StaleCase) as refused:
        workflow.resolve(case, world.cadre1, result="已修好", expected_version=case.version + 1)
    assert refused.value.status == 409
    db.session.commit()
    assert case.state == "assigned" and event_count() == 0


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("number", "The order number is missing."),
        ("received_at", "The received time is missing."),
        ("content", "The content is missing."),
    ],
)
def test_an_order_missing_a_field_is_refused_in_words_not_with_the_fields_key(app, missing, message):
    fields = {"number": "GD2026999999", "received_at": datetime(2026, 10, 10, tzinfo=UTC), "content": "路灯不亮"}
    with pytest.raises(refusals.InvalidInput) as refused:
        workflow.receive_order(None, **(fields | {missing: ""}))
    assert refused.value.field == missing
    with app.test_request_context():
        assert refused.value.text() == message
