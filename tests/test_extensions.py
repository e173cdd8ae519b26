"""Extensions (延期): the assigned cadre asks before the deadline, a dispatcher grants or refuses; limited."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casework import deadlines, refusals, workflow
from casework.extensions import db
from casework.models import ExtensionRequest, utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def end_of(y, m, d) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI).astimezone(UTC)


ASKED = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)  # for tests that pin the deadline's day


@pytest.fixture
def due() -> datetime:
    """A deadline still ahead whenever the suite runs: the end of the local day a month from today."""
    day = (utcnow().astimezone(SHANGHAI) + timedelta(days=30)).date()
    return end_of(day.year, day.month, day.day)


@pytest.fixture
def order(world, make, due):
    return make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=due)


def ask(order, world, days=2, reason="村民外出，需等其返回", at=None):
    event = workflow.request_extension(order, world.cadre1, reason=reason, working_days=days, at=at)
    db.session.commit()
    return event


def requests(order) -> list[ExtensionRequest]:
    return list(db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == order.id)))


def test_the_assigned_cadre_asks_and_the_request_waits_in_the_history(order, world, due):
    event = ask(order, world)
    (request,) = requests(order)
    assert (request.status, request.working_days, request.requested_by_id) == ("pending", 2, world.cadre1.id)
    assert (event.action, event.note, event.data) == ("request_extension", "村民外出，需等其返回", {"working_days": 2})
    assert order.due_at == due and order.state == "assigned"
    assert "request_extension" not in workflow.allowed_actions(world.cadre1, order)
    assert {"grant_extension", "refuse_extension"} <= set(workflow.allowed_actions(world.dispatcher, order))


def test_granting_moves_the_deadline_by_working_days_and_counts_it(world, make):
    order = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=end_of(2026, 12, 15))
    ask(order, world, days=3, at=ASKED)
    event = workflow.grant_extension(order, world.dispatcher, note="同意", at=ASKED + timedelta(hours=1))
    db.session.commit()
    assert order.due_at == end_of(2026, 12, 18) and order.extension_count == 1
    (request,) = requests(order)
    assert (request.status, request.decided_by_id, request.new_due_at) == ("granted", world.dispatcher.id, order.due_at)
    assert event.data["previous_due_at"] == end_of(2026, 12, 15).isoformat()
    assert event.data["due_at"] == order.due_at.isoformat()


def test_an_extension_into_2027_counts_weekdays_there(world, make):
    order = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=end_of(2026, 12, 31))
    ask(order, world, days=3, at=ASKED)
    workflow.grant_extension(order, world.dispatcher, at=ASKED + timedelta(hours=1))
    assert order.due_at == end_of(2027, 1, 5)  # Fri Jan 1 counts: chinesecalendar does not know 2027


def test_refusing_keeps_the_deadline_and_needs_a_reason(order, world, due):
    ask(order, world)
    with pytest.raises(refusals.InvalidInput):
        workflow.refuse_extension(order, world.dispatcher, reason=" ")
    workflow.refuse_extension(order, world.dispatcher, reason="期限内可办结")
    db.session.commit()
    assert order.due_at == due and order.extension_count == 0
    assert requests(order)[0].status == "refused"
    assert "request_extension" in workflow.allowed_actions(world.cadre1, order)  # may ask again


@pytest.mark.parametrize("days", [0, 4, None, "abc"])
def test_the_number_of_days_is_checked(order, world, days):
    with pytest.raises(refusals.InvalidInput) as info:
        workflow.request_extension(order, world.cadre1, reason="x", working_days=days)
    assert info.value.field == "working_days"


def test_a_reason_is_required(order, world):
    with pytest.raises(refusals.InvalidInput) as info:
        workflow.request_extension(order, world.cadre1, reason="", working_days=1)
    assert info.value.field == "reason"


def test_only_the_assigned_cadre_may_ask(order, world):
    for other in (world.cadre1b, world.dispatcher, world.leader):
        with pytest.raises(refusals.Forbidden):
            workflow.request_extension(order, other, reason="x", working_days=1)


def test_only_a_dispatcher_decides(order, world):
    ask(order, world)
    with pytest.raises(refusals.Forbidden):
        workflow.grant_extension(order, world.cadre1)


def test_no_request_after_the_deadline(world, make):
    late = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(refusals.NotAllowed, match="deadline has passed"):
        workflow.request_extension(late, world.cadre1, reason="x", working_days=1)
    assert "request_extension" not in workflow.allowed_actions(world.cadre1, late)


def test_one_request_waits_at_a_time(order, world):
    ask(order, world)
    with pytest.raises(refusals.NotAllowed, match="already waiting"):
        workflow.request_extension(order, world.cadre1, reason="again", working_days=1)


def test_nothing_to_decide_without_a_waiting_request(order, world):
    with pytest.raises(refusals.NotAllowed, match="No extension request"):
        workflow.grant_extension(order, world.dispatcher)


def test_the_number_of_extensions_is_limited_by_configuration(app, order, world):
    app.config["EXTENSION_MAX"] = 2
    for _ in range(2):
        ask(order, world, days=1)
        workflow.grant_extension(order, world.dispatcher)
        db.session.commit()
    assert order.extension_count == 2
    with pytest.raises(refusals.NotAllowed, match="most extensions allowed"):
        workflow.request_extension(order, world.cadre1, reason="x", working_days=1)
    assert "request_extension" not in workflow.allowed_actions(world.cadre1, order)


def version(action: str, order) -> dict:
    db.session.refresh(order)
    return {f"{action}-version": str(order.version)}


def test_the_case_page_round_trip(order, world, client, auth, due):
    auth.login(world.cadre1)
    page = client.get(f"/cases/{order.id}").get_data(as_text=True)
    assert f'action="/cases/{order.id}/request_extension"' in page
    bad = client.post(
        f"/cases/{order.id}/request_extension",
        data={
            **version("request_extension", order),
            "request_extension-reason": "等材料",
            "request_extension-working_days": "9",
        },
    )
    assert bad.status_code == 422 and "等材料" in bad.get_data(as_text=True)
    ok = client.post(
        f"/cases/{order.id}/request_extension",
        data={
            **version("request_extension", order),
            "request_extension-reason": "等材料",
            "request_extension-working_days": "2",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    auth.login(world.dispatcher)
    page = client.get(f"/cases/{order.id}").get_data(as_text=True)
    assert "等材料" in page and f'action="/cases/{order.id}/grant_extension"' in page
    assert client.post(f"/cases/{order.id}/grant_extension", data=version("grant_extension", order)).status_code == 302
    db.session.expire_all()
    assert order.extension_count == 1 and order.due_at == deadlines.extended_due(due, 2)


def test_typing_that_is_not_a_number_is_kept_with_a_422(order, world, client, auth):
    auth.login(world.cadre1)
    response = client.post(
        f"/cases/{order.id}/request_extension",
        data={
            **version("request_extension", order),
            "request_extension-reason": "理由甲",
            "request_extension-working_days": "两天",
        },
    )
    assert response.status_code == 422
    assert "理由甲" in response.get_data(as_text=True) and "两天" in response.get_data(as_text=True)


def test_a_request_recorded_afterwards_is_judged_at_its_own_moment(world, make):
    """A past request (a backfill, the demo) counts if it came before the deadline of that time."""
    order = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=end_of(2025, 3, 10))
    asked_at = datetime(2025, 3, 7, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    event = workflow.request_extension(order, world.cadre1, reason="等待材料", working_days=2, at=asked_at)
    assert event.at == asked_at
    with pytest.raises(refusals.WorkflowError):
        workflow.request_extension(order, world.cadre1, reason="再次", working_days=1)  # now: long past due


# --- a waiting request lapses when the case leaves the cadre who asked ------------------------------


def pending(order) -> list[ExtensionRequest]:
    return [r for r in requests(order) if r.status == "pending"]


def leave_the_cadre(action: str, order, world):
    """The case leaves cadre1 by `action`; returns the history event written."""
    if action == "return":
        return workflow.return_to_dispatcher(order, world.cadre1, reason="不是本村的")
    if action == "reassign":
        return workflow.reassign(order, world.dispatcher, assignee=world.cadre1b)
    if action == "resolve":
        return workflow.resolve(order, world.dispatcher, result="已办结")
    raise AssertionError(action)


@pytest.mark.parametrize("action", ["return", "reassign", "resolve"])
def test_a_waiting_request_lapses_with_the_action_that_takes_the_case_away(order, world, action, due):
    ask(order, world, days=2)
    event = leave_the_cadre(action, order, world)
    db.session.commit()
    (request,) = requests(order)
    assert (request.status, request.decision_note) == ("lapsed", action)
    assert request.decided_by_id == (world.cadre1 if action == "return" else world.dispatcher).id
    assert request.decided_at == event.at and request.new_due_at is None
    assert event.data["extension_lapsed"] == 2  # the history says so, in the same event
    assert order.due_at == due and order.extension_count == 0


@pytest.mark.parametrize("action", ["return", "reassign", "resolve"])
def test_a_lapsed_request_cannot_be_decided_afterwards(order, world, action, due):
    ask(order, world)
    leave_the_cadre(action, order, world)
    db.session.commit()
    assert not {"grant_extension", "refuse_extension"} & set(workflow.allowed_actions(world.dispatcher, order))
    with pytest.raises(refusals.NotAllowed, match="lapsed") as refused:
        workflow.grant_extension(order, world.dispatcher)
    assert refused.value.status == 409
    with pytest.raises(refusals.NotAllowed, match="lapsed"):
        workflow.refuse_extension(order, world.dispatcher, reason="不同意")
    assert order.due_at == due and order.extension_count == 0


def test_the_new_cadre_may_ask_for_their_own_extension(order, world):
    ask(order, world)
    leave_the_cadre("reassign", order, world)
    db.session.commit()
    assert "request_extension" in workflow.allowed_actions(world.cadre1b, order)
    workflow.request_extension(order, world.cadre1b, reason="新接手，需了解情况", working_days=1)
    db.session.commit()
    assert [(r.requested_by_id, r.status) for r in requests(order)] == [
        (world.cadre1.id, "lapsed"),
        (world.cadre1b.id, "pending"),
    ]


def test_a_request_lapsed_at_resolution_stays_closed_after_reopening(order, world):
    ask(order, world)
    leave_the_cadre("resolve", order, world)
    workflow.reopen(order, world.dispatcher, reason="来电人不满意")
    db.session.commit()
    assert pending(order) == []
    assert "grant_extension" not in workflow.allowed_actions(world.dispatcher, order)
    assert "request_extension" in workflow.allowed_actions(world.cadre1, order)


def test_escalating_a_dispute_lapses_its_waiting_request(world, make, due):
    dispute = make.order(
        world.v1,
        kind="dispute",
        number="JF2026-00001",
        tier="village",
        state="assigned",
        assignee=world.cadre1,
        due_at=due,
    )
    ask(dispute, world)
    event = workflow.escalate(dispute, world.cadre1, assignee=world.cadre2)
    db.session.commit()
    assert [r.status for r in requests(dispute)] == ["lapsed"] and event.data["extension_lapsed"] == 2


def test_a_refused_reassignment_leaves_the_request_waiting(order, world):
    ask(order, world)
    with pytest.raises(refusals.InvalidInput):
        workflow.reassign(order, world.dispatcher, assignee=world.cadre3)  # serves another village
    db.session.commit()
    assert len(pending(order)) == 1


def test_an_action_without_a_waiting_request_records_no_lapse(order, world):
    event = leave_the_cadre("reassign", order, world)
    assert "extension_lapsed" not in event.data


def test_deciding_over_http_after_a_reassignment_is_a_409_with_the_reason(order, world, client, auth):
    ask(order, world)
    leave_the_cadre("reassign", order, world)
    db.session.commit()
    auth.login(world.dispatcher)
    for action, data in (("grant_extension", {}), ("refuse_extension", {"refuse_extension-reason": "我写的理由"})):
        response = client.post(f"/cases/{order.id}/{action}", data={**version(action, order), **data})
        assert response.status_code == 409
        assert "lapsed" in response.get_data(as_text=True)
    page = client.get(f"/cases/{order.id}").get_data(as_text=True)
    assert "grant_extension" not in page and "still waiting, lapsed" in page


def open_page(action: str, order, world, client, auth) -> dict:
    """The dispatcher opens the case while the request waits: the version their page will send."""
    auth.login(world.dispatcher)
    assert f'action="/cases/{order.id}/{action}"' in client.get(f"/cases/{order.id}").get_data(as_text=True)
    return version(action, order)


@pytest.mark.parametrize("action", ["return", "reassign", "resolve"])
def test_deciding_from_a_page_opened_before_the_lapse_says_it_lapsed(order, world, client, auth, action):
    ask(order, world)
    pages = {a: open_page(a, order, world, client, auth) for a in ("grant_extension", "refuse_extension")}
    leave_the_cadre(action, order, world)
    db.session.commit()
    granted = client.post(f"/cases/{order.id}/grant_extension", data=pages["grant_extension"])
    assert granted.status_code == 409 and str(workflow.LAPSED_BY[action]) in granted.get_data(as_text=True)
    refused = client.post(
        f"/cases/{order.id}/refuse_extension",
        data={**pages["refuse_extension"], "refuse_extension-reason": "我写的理由"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and str(workflow.LAPSED_BY[action]) in page
    assert "我写的理由" in page and "changed by someone else" not in page
    db.session.expire_all()
    assert order.extension_count == 0 and requests(order)[0].status == "lapsed"


def test_deciding_from_an_old_page_after_another_dispatcher_decided_names_them(order, world, make, client, auth):
    ask(order, world)
    page = open_page("refuse_extension", order, world, client, auth)
    other = make.user("dispatcher", name="王调度", username="dispatcher2")
    workflow.grant_extension(order, other)
    db.session.commit()
    response = client.post(
        f"/cases/{order.id}/refuse_extension", data={**page, "refuse_extension-reason": "我写的理由"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "already granted by 王调度" in text and "我写的理由" in text
    db.session.expire_all()
    assert requests(order)[0].status == "granted" and order.extension_count == 1


def test_a_second_tap_on_the_same_decision_is_still_told_it_was_done(order, world, client, auth):
    ask(order, world)
    page = open_page("grant_extension", order, world, client, auth)
    assert client.post(f"/cases/{order.id}/grant_extension", data=page).status_code == 302
    again = client.post(f"/cases/{order.id}/grant_extension", data=page, follow_redirects=True)
    assert again.status_code == 200 and "You already granted the extension." in again.get_data(as_text=True)
    db.session.expire_all()
    assert order.extension_count == 1


def test_a_new_request_after_a_lapse_is_a_conflict_for_an_old_page(order, world, client, auth):
    ask(order, world)
    page = open_page("grant_extension", order, world, client, auth)
    leave_the_cadre("reassign", order, world)
    workflow.request_extension(order, world.cadre1b, reason="新接手", working_days=1)
    db.session.commit()
    response = client.post(f"/cases/{order.id}/grant_extension", data=page)
    assert response.status_code == 409 and "changed by someone else" in response.get_data(as_text=True)
    assert [r.status for r in requests(order)] == ["lapsed", "pending"]
