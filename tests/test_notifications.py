"""Notifications written by the workflow's services (issue 11): each event tells exactly the people it concerns,
in the transaction of the event, and never the one who acted."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casework import notices, workflow
from casework.clock import localtime
from casework.extensions import db
from casework.models import Notification, utcnow
from tests.helpers import case_in, login_as

FAR = timedelta(days=30)  # a due time an extension may still be asked before


@pytest.fixture(autouse=True)
def reading(app):
    """A request's context, in which a notice's sentence is put in the reader's words."""
    with app.test_request_context():
        yield


@pytest.fixture
def second_dispatcher(make):
    return make.user("dispatcher", name="周调度", username="dispatcher2")


def told() -> set[tuple[str, str]]:
    """Who was told what: (username, kind) of every notification."""
    return {(n.recipient.username, n.kind) for n in db.session.scalars(select(Notification))}


def only(kind: str) -> Notification:
    [notice] = db.session.scalars(select(Notification).where(Notification.kind == kind)).all()
    return notice


def assigned(make, world, kind="order", **kw):
    return case_in(make, world, kind, "assigned", due_at=utcnow() + FAR, **kw)


def asked(make, world, second_dispatcher):
    case = assigned(make, world)
    workflow.request_extension(case, world.cadre1, reason="等配件", working_days=3)
    db.session.commit()
    db.session.execute(Notification.__table__.delete())
    return case


# --- who is told of each action ---------------------------------------------------------------------------


def test_an_assignment_tells_the_cadre_with_the_note(make, world, second_dispatcher):
    case = case_in(make, world, "order", "received")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1, note="今天去现场")
    db.session.commit()
    assert told() == {("cadre1", "assigned")}
    notice = only("assigned")
    assert (notice.case_id, notice.actor_id, notice.text) == (case.id, world.dispatcher.id, "今天去现场")
    assert case.number in notices.sentence(notice)


def test_a_reassignment_tells_the_new_cadre_and_the_one_it_was_taken_from(make, world, second_dispatcher):
    case = assigned(make, world)
    workflow.reassign(case, world.dispatcher, assignee=world.cadre1b)
    db.session.commit()
    assert told() == {("cadre1b", "assigned"), ("cadre1", "reassigned_away")}
    away = notices.sentence(only("reassigned_away"))
    assert world.cadre1b.name in away and case.number in away


def test_an_escalation_tells_the_mediator_at_the_next_tier(make, world, second_dispatcher):
    dispute = assigned(make, world, "dispute")
    workflow.escalate(dispute, world.cadre1, assignee=world.cadre2, note="村里调不下来")
    db.session.commit()
    assert told() == {("cadre2", "escalated")}
    assert only("escalated").text == "村里调不下来"


def test_a_return_tells_every_active_dispatcher_the_reason(make, world, second_dispatcher):
    make.user("dispatcher", username="gone", active=False)
    case = assigned(make, world)
    workflow.return_to_dispatcher(case, world.cadre1, reason="不是本村的")
    db.session.commit()
    assert told() == {("dispatcher", "returned"), ("dispatcher2", "returned")}
    notice = db.session.scalars(select(Notification)).first()
    assert notice.text == "不是本村的" and world.cadre1.name in notices.sentence(notice)


def test_an_extension_asked_tells_the_dispatchers_how_many_days(make, world, second_dispatcher):
    case = assigned(make, world)
    workflow.request_extension(case, world.cadre1, reason="等配件", working_days=3)
    db.session.commit()
    assert told() == {("dispatcher", "extension_asked"), ("dispatcher2", "extension_asked")}
    notice = db.session.scalars(select(Notification)).first()
    assert "3" in notices.sentence(notice) and notice.text == "等配件"


def test_a_granted_extension_tells_the_cadre_the_new_due_time_in_local_time(make, world, second_dispatcher):
    case = asked(make, world, second_dispatcher)
    workflow.grant_extension(case, world.dispatcher)
    db.session.commit()
    assert told() == {("cadre1", "extension_granted")}
    assert localtime(case.due_at) in notices.sentence(only("extension_granted"))


def test_a_refused_extension_tells_the_cadre_why(make, world, second_dispatcher):
    case = asked(make, world, second_dispatcher)
    workflow.refuse_extension(case, world.dispatcher, reason="时间够用")
    db.session.commit()
    assert told() == {("cadre1", "extension_refused")}
    assert only("extension_refused").text == "时间够用"


def test_the_asker_is_told_of_the_decision_even_after_the_case_changed_hands(make, world, second_dispatcher):
    case = asked(make, world, second_dispatcher)
    workflow.refuse_extension(case, world.dispatcher, reason="时间够用")
    workflow.reassign(case, world.dispatcher, assignee=world.cadre1b)
    db.session.commit()
    assert ("cadre1", "extension_refused") in told()


def test_a_reopening_tells_the_cadre_the_reason(make, world, second_dispatcher):
    case = case_in(make, world, "order", "resolved")
    workflow.reopen(case, world.dispatcher, reason="来电人不满意")
    db.session.commit()
    assert told() == {("cadre1", "reopened")}
    assert only("reopened").text == "来电人不满意"


def test_an_urge_tells_the_cadre_the_note(make, world, second_dispatcher):
    case = assigned(make, world)
    workflow.urge(case, world.dispatcher, note="请今天内联系来电人")
    db.session.commit()
    assert told() == {("cadre1", "urged")}
    notice = only("urged")
    assert notice.text == "请今天内联系来电人" and world.dispatcher.name in notices.sentence(notice)


@pytest.mark.parametrize("action", ["resolve", "note", "callback", "convert"])
def test_the_other_actions_tell_nobody(make, world, second_dispatcher, action):
    state = "resolved" if action == "callback" else "assigned"
    case = case_in(make, world, "order", state)
    actor = world.dispatcher if action == "callback" else world.cadre1
    args = {
        "resolve": {"result": "已修好"},
        "note": {"note": "已电话联系"},
        "callback": {"solved": True, "satisfaction": "satisfied"},
        "convert": {"category": "邻里纠纷", "content": "邻居占道", "parties": [{"name": "张三"}]},
    }[action]
    workflow.service_of(action)(case, actor, **args)
    db.session.commit()
    assert told() == set()


def test_the_actor_is_not_told_of_their_own_action(make, world, second_dispatcher):
    dispute = case_in(make, world, "dispute", "assigned", tier="district", assignee=world.cadre2)
    workflow.escalate(dispute, world.dispatcher, assignee=world.dispatcher)  # the centre: to oneself
    db.session.commit()
    assert told() == set()
    workflow.reassign(dispute, world.dispatcher, assignee=second_dispatcher)  # taken from oneself
    db.session.commit()
    assert told() == {("dispatcher2", "assigned")}


def test_a_bulk_assignment_tells_the_cadre_once_per_case(make, world):
    cases = [case_in(make, world, "order", "received") for _ in range(3)]
    done, skipped = workflow.assign_many(cases, world.dispatcher)
    db.session.commit()
    assert (done, skipped) == (3, [])
    kinds = [(n.recipient_id, n.case_id) for n in db.session.scalars(select(Notification))]
    assert sorted(kinds) == sorted((world.cadre1.id, c.id) for c in cases)


def test_the_notice_has_the_moment_of_its_event(make, world):
    case = case_in(make, world, "order", "received")
    at = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
    event = workflow.assign(case, world.dispatcher, assignee=world.cadre1, at=at)
    db.session.commit()
    assert only("assigned").created_at == event.at == at


# --- refused, rolled back: nobody told ------------------------------------------------------------------


def test_an_action_rolled_back_leaves_no_notice(make, world, second_dispatcher):
    case = assigned(make, world)
    workflow.return_to_dispatcher(case, world.cadre1, reason="不是本村的")
    db.session.rollback()
    assert told() == set()


def test_an_action_refused_over_http_leaves_no_notice(make, world, client, second_dispatcher):
    case = assigned(make, world)
    stale = case.version
    workflow.urge(case, world.dispatcher)
    db.session.commit()
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/return", data={"return-reason": "不是本村的", "return-version": stale})
    assert r.status_code == 409
    assert told() == set()


def test_a_bulk_assignment_skips_a_refused_case_without_its_notice(make, world):
    fine = case_in(make, world, "order", "received")
    nowhere = make.order(None)
    done, skipped = workflow.assign_many([fine, nowhere], world.dispatcher, assignee=world.cadre1)
    db.session.commit()
    assert done == 1 and [c for c, _ in skipped] == [nowhere]
    assert [n.case_id for n in db.session.scalars(select(Notification))] == [fine.id]


# --- the words -------------------------------------------------------------------------------------------


def test_every_kind_has_a_sentence_and_a_missing_name_shows_as_a_dash(app):
    for kind in notices.KINDS:
        said = notices.sentence(Notification(kind=kind, data={}, text=""))
        assert said and "%(" not in said
    assert notices.sentence(Notification(kind="gone_kind", data={}, text="")) == "gone_kind"


def test_the_message_a_channel_sends_is_the_sentence_then_the_text(make, world):
    case = case_in(make, world, "order", "resolved")
    workflow.reopen(case, world.dispatcher, reason="来电人不满意")
    notice = only("reopened")
    assert notices.message(notice) == f"{notices.sentence(notice)}\n来电人不满意"
