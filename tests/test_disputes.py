"""The dispute screens: registering a dispute, converting a hotline order into one, and settling one."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework import refusals, workflow
from casework.disputes import forms
from casework.extensions import db
from casework.models import Case, utcnow
from casework.refusals import STALE
from tests.helpers import case_in, convert_form, dispute_form


def disputes() -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.kind == "dispute").order_by(Case.id)))


# --- new dispute -------------------------------------------------------------------------------


def test_dispatcher_registers_a_dispute_and_lands_on_its_page(world, auth, client):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v2))
    [case] = disputes()
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.state, case.tier, case.village, case.category, case.source) == (
        "received",
        "village",
        world.v2,
        "邻里纠纷",
        "来访",
    )
    assert [(p.name, p.contact, p.role) for p in case.parties] == [
        ("王大山", "13900001111", "申请人"),
        ("李小河", "", "被申请人"),
    ]
    assert [(e.action, e.actor) for e in case.events] == [("register", world.dispatcher)]


def test_the_received_time_is_typed_in_local_time_and_stored_in_utc(world, auth, client):
    auth.login(world.dispatcher)
    client.post("/disputes/new", data=dispute_form(world.v1, received_at="2026-11-30T08:15"))
    [case] = disputes()
    assert case.received_at == datetime(2026, 11, 30, 0, 15, tzinfo=UTC)


def test_an_empty_received_time_means_now(world, auth, client):
    auth.login(world.dispatcher)
    before = utcnow()
    client.post("/disputes/new", data=dispute_form(world.v1))
    [case] = disputes()
    assert before - timedelta(seconds=1) <= case.received_at <= utcnow()


def test_a_cadre_registers_a_dispute_in_a_village_they_serve(world, auth, client):
    auth.login(world.cadre1)
    r = client.post("/disputes/new", data=dispute_form(world.v1))
    assert r.status_code == 302
    assert [(c.village, c.events[0].actor) for c in disputes()] == [(world.v1, world.cadre1)]


def test_a_cadre_is_offered_only_the_villages_they_serve(world, auth, client):
    auth.login(world.cadre1)
    page = client.get("/disputes/new").get_data(as_text=True)
    assert "东风村" in page
    assert "红旗村" not in page and "向阳村" not in page


def test_a_cadre_is_refused_a_village_they_do_not_serve(world, auth, client, english):
    auth.login(world.cadre1)
    r = client.post("/disputes/new", data=dispute_form(world.v2))
    page = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "You may not register a dispute in this village." in page
    assert "两户因排水沟堵塞发生争执" in page and "王大山" in page
    assert disputes() == []


def test_a_leader_may_not_register_a_dispute(world, auth, client):
    auth.login(world.leader)
    assert client.get("/disputes/new").status_code == 403
    assert client.post("/disputes/new", data=dispute_form(world.v1)).status_code == 403
    assert disputes() == []


@pytest.mark.parametrize(
    ("override", "message", "kept"),
    [
        ({"content": "  "}, "Describe the dispute.", "王大山"),
        (
            {"parties-0-name": "", "parties-0-contact": "", "parties-1-name": ""},
            "Name at least one party.",
            "两户因排水沟堵塞发生争执",
        ),
        ({"category": ""}, "Choose the type of dispute.", "两户因排水沟堵塞发生争执"),
    ],
    ids=["no-summary", "no-named-party", "no-type"],
)
def test_missing_input_is_refused_with_a_message_and_the_typing_kept(
    world, auth, client, english, override, message, kept
):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, **override))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert message in page
    assert kept in page and "东风村三组" in page
    assert disputes() == []


def test_a_contact_without_a_name_is_refused_rather_than_dropped(world, auth, client, english):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, **{"parties-1-name": "", "parties-1-contact": "139"}))
    assert r.status_code == 422
    assert "Give the name of this party, or clear the row." in r.get_data(as_text=True)
    assert disputes() == []


def test_an_unknown_village_or_a_garbled_time_is_a_422_not_a_500(world, auth, client):
    auth.login(world.dispatcher)
    assert client.post("/disputes/new", data=dispute_form(None, village=99999)).status_code == 422
    assert client.post("/disputes/new", data=dispute_form(world.v1, received_at="昨天")).status_code == 422
    assert disputes() == []


def test_adding_a_party_row_keeps_everything_typed_and_registers_nothing(world, auth, client):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, add_party="1", received_at="2026-11-30T08:15"))
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'name="parties-2-name"' in page and 'name="parties-3-name"' not in page
    for typed in ("王大山", "13900001111", "李小河", "两户因排水沟堵塞发生争执", "东风村三组", "2026-11-30T08:15"):
        assert typed in page
    assert disputes() == []


def test_a_party_added_on_a_new_row_is_registered(world, auth, client):
    auth.login(world.dispatcher)
    extra = {"parties-2-name": "张村委", "parties-2-contact": "", "parties-2-role": "第三人"}
    client.post("/disputes/new", data=dispute_form(world.v1, **extra))
    [case] = disputes()
    assert [p.role for p in case.parties] == ["申请人", "被申请人", "第三人"]


def party_rows(count: int) -> dict:
    rows = (("name", "当事人{i}"), ("contact", ""), ("role", "申请人"))
    return {f"parties-{i}-{k}": v.format(i=i) for i in range(count) for k, v in rows}


def test_more_party_rows_than_the_form_holds_are_refused_not_dropped(world, auth, client, english):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, **party_rows(25)))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "At most 20 parties can be listed (25 rows were sent); name the others in the summary." in page
    assert "当事人19" in page and "两户因排水沟堵塞发生争执" in page
    assert disputes() == []


def test_the_refused_form_keeps_every_party_row_sent_so_the_extra_names_can_be_moved(world, auth, client):
    auth.login(world.dispatcher)
    page = client.post("/disputes/new", data=dispute_form(world.v1, **party_rows(25))).get_data(as_text=True)
    for i in range(25):
        assert f'name="parties-{i}-name"' in page and f'value="当事人{i}"' in page
    assert 'name="add_party"' not in page  # no room for another row


def test_rows_beyond_the_hard_cap_are_counted_in_the_refusal(world, auth, client, english):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, **party_rows(forms.PARTY_ROWS_READ + 5)))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and f"({forms.PARTY_ROWS_READ + 5} rows were sent)" in page
    assert f'value="当事人{forms.PARTY_ROWS_READ - 1}"' in page and disputes() == []


def test_as_many_party_rows_as_the_form_holds_are_registered(world, auth, client):
    auth.login(world.dispatcher)
    assert client.post("/disputes/new", data=dispute_form(world.v1, **party_rows(20))).status_code == 302
    assert len(disputes()[0].parties) == 20


def test_a_party_row_is_refused_in_english_in_the_english_ui(world, auth, client, english):
    auth.login(world.dispatcher)
    bad_rows = {"parties-0-name": "张" * 41, "parties-1-role": "x"}
    r = client.post("/disputes/new", data=dispute_form(world.v1, **bad_rows))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Not a valid choice." in page and "Field cannot be longer than 40 characters." in page


# --- convert a hotline order -------------------------------------------------------------------


@pytest.fixture
def order(world, make):
    return make.order(world.v1, content="邻居在院墙边堆放杂物，多次协商不成", address="东风村五组12号")


def test_the_convert_page_is_prefilled_from_the_order(world, auth, client, order):
    auth.login(world.dispatcher)
    r = client.get(f"/disputes/from-order/{order.id}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "邻居在院墙边堆放杂物，多次协商不成" in page
    assert "东风村五组12号" in page
    assert f'<option selected value="{world.v1.id}">东风村</option>' in page
    assert 'name="parties-0-name" type="text" value="张三"' in page
    assert 'value="13812345678"' in page
    assert "Source: 12345 hotline order" in page
    assert f'name="version" type="hidden" value="{order.version}"' in page


def test_converting_links_the_order_and_the_dispute_both_ways(world, auth, client, order):
    auth.login(world.dispatcher)
    r = client.post(f"/disputes/from-order/{order.id}", data=convert_form(order))
    [dispute] = disputes()
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/cases/{dispute.id}")
    assert (dispute.origin, order.derived, dispute.source) == (order, [dispute], "12345工单")
    assert f'href="/cases/{order.id}"' in client.get(f"/cases/{dispute.id}").get_data(as_text=True)
    assert f'href="/cases/{dispute.id}"' in client.get(f"/cases/{order.id}").get_data(as_text=True)


def test_converting_writes_a_convert_event_in_the_orders_history(world, auth, client, order):
    auth.login(world.dispatcher)
    client.post(f"/disputes/from-order/{order.id}", data=convert_form(order))
    [dispute] = disputes()
    [event] = [e for e in order.events if e.action == "convert"]
    assert (event.actor, event.data["dispute"]) == (world.dispatcher, dispute.number)


def test_the_assigned_cadre_converts_their_order(world, auth, client, make):
    order = make.order(world.v1, state="assigned", assignee=world.cadre1)
    auth.login(world.cadre1)
    page = client.get(f"/disputes/from-order/{order.id}").get_data(as_text=True)
    assert "13812345678" in page
    assert client.post(f"/disputes/from-order/{order.id}", data=convert_form(order)).status_code == 302
    assert [d.origin for d in disputes()] == [order]


def test_a_cadre_who_may_not_see_the_caller_gets_no_caller_prefilled(world, auth, client, order):
    auth.login(world.cadre1b)
    page = client.get(f"/disputes/from-order/{order.id}").get_data(as_text=True)
    assert "13812345678" not in page and 'value="张三"' not in page


def test_a_cadre_of_another_village_gets_404_on_the_convert_page_and_its_post(world, auth, client, order):
    auth.login(world.cadre2)
    assert client.get(f"/disputes/from-order/{order.id}").status_code == 404
    assert client.post(f"/disputes/from-order/{order.id}", data=convert_form(order)).status_code == 404
    assert disputes() == []


def test_a_leader_may_not_convert(world, auth, client, order):
    auth.login(world.leader)
    assert client.get(f"/disputes/from-order/{order.id}").status_code == 403
    assert client.post(f"/disputes/from-order/{order.id}", data=convert_form(order)).status_code == 403


def test_a_dispute_case_cannot_be_converted(world, auth, client):
    auth.login(world.dispatcher)
    client.post("/disputes/new", data=dispute_form(world.v1))
    [dispute] = disputes()
    assert client.get(f"/disputes/from-order/{dispute.id}").status_code == 404


def test_a_stale_version_is_refused_with_409_and_the_typing_kept(world, auth, client, order, english):
    auth.login(world.dispatcher)
    data = convert_form(order, content="我写的纠纷摘要")
    order.content += "（已补充）"  # someone else changed the order since the page was loaded
    db.session.commit()
    r = client.post(f"/disputes/from-order/{order.id}", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert STALE in page
    assert "我写的纠纷摘要" in page and "王大山" in page
    assert disputes() == []
    assert [e.action for e in order.events if e.action == "convert"] == []


def test_after_a_conflict_the_form_carries_the_current_version(world, auth, client, order):
    auth.login(world.dispatcher)
    data = convert_form(order)
    order.content += "（已补充）"
    db.session.commit()
    page = client.post(f"/disputes/from-order/{order.id}", data=data).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{order.version}"' in page
    assert client.post(f"/disputes/from-order/{order.id}", data={**data, "version": order.version}).status_code == 302


def test_a_refused_conversion_changes_nothing(world, auth, client, order):
    auth.login(world.dispatcher)
    r = client.post(f"/disputes/from-order/{order.id}", data=convert_form(order, category=""))
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.kind == "dispute")) == 0
    assert [e.action for e in order.events] == []


def test_a_post_with_fewer_rows_than_shown_still_registers(world, auth, client):
    auth.login(world.dispatcher)
    data = {k: v for k, v in dispute_form(world.v1).items() if not k.startswith("parties-1-")}
    assert client.post("/disputes/new", data=data).status_code == 302
    assert [p.name for p in disputes()[0].parties] == ["王大山"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "2062-05-01T08:00"])
def test_a_received_time_out_of_range_is_refused_at_its_field(world, auth, client, when):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data=dispute_form(world.v1, received_at=when))
    assert r.status_code == 422
    assert "The received time must be a real moment and not in the future." in r.get_data(as_text=True)
    assert "两户因排水沟堵塞发生争执" in r.get_data(as_text=True)
    assert disputes() == []


# --- settling: the agreement's performance deadline ---------------------------------------------

RESOLVED_AT = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)  # 2026-11-30 00:30 in the township


def settles(case: Case, world, deadline: date):
    return workflow.resolve(
        case,
        world.cadre1,
        result="双方和解",
        outcome="settled",
        agreement_terms="赔偿500元",
        performance_deadline=deadline,
        at=RESOLVED_AT,
    )


def test_an_agreement_due_before_the_local_day_of_resolution_is_refused(world, make):
    case = case_in(make, world, "dispute", "assigned")
    with pytest.raises(refusals.InvalidInput) as refused:
        settles(case, world, date(2026, 11, 29))
    assert (refused.value.field, refused.value.params) == ("performance_deadline", {"day": "2026-11-30"})
    assert (case.state, case.outcome) == ("assigned", None)


def test_an_agreement_due_on_the_day_of_resolution_is_kept(world, make):
    case = case_in(make, world, "dispute", "assigned")
    settles(case, world, date(2026, 11, 30))
    assert (case.state, case.performance_deadline) == ("resolved", date(2026, 11, 30))


def test_a_past_performance_deadline_is_refused_on_the_case_page_with_the_typing_kept(
    world, make, auth, client, english
):
    case = case_in(make, world, "dispute", "assigned", received_at=datetime(2026, 11, 29, 2, tzinfo=UTC))
    auth.login(world.cadre1)
    data = {
        "resolve-result": "双方和解",
        "resolve-outcome": "settled",
        "resolve-agreement_terms": "赔偿500元",
        "resolve-performance_deadline": "2020-01-01",
        "resolve-version": case.version,
    }
    r = client.post(f"/cases/{case.id}/resolve", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "The performance deadline cannot be earlier than the day the dispute is resolved" in page
    assert "赔偿500元" in page and "2020-01-01" in page
    db.session.expire_all()
    assert (case.state, case.performance_deadline) == ("assigned", None)
