"""The reply outbox: written with the resolution, sent to the platform over real HTTP, retried, once."""

import csv
import io
import re

import pytest
from sqlalchemy import event, insert, select

from casework import refusals, workflow
from casework.extensions import db
from casework.intake import outbox
from casework.intake.run import intake_run
from casework.models import Reply
from tests.helpers import assigned_order, resolved_order


def replies() -> list[Reply]:
    return list(db.session.scalars(select(Reply).order_by(Reply.id)))


# --- into the outbox -----------------------------------------------------------------------------


def test_resolving_an_order_queues_its_reply_in_the_same_transaction(make, world):
    order = assigned_order(make, world)

    workflow.resolve(order, world.cadre1, result="路灯已修好")
    db.session.rollback()
    assert replies() == []

    workflow.resolve(order, world.cadre1, result="路灯已修好")
    db.session.commit()
    [reply] = replies()
    assert (reply.order_no, reply.case_id, reply.sent_at) == (order.number, order.id, None)
    assert reply.payload["result"] == "路灯已修好"
    assert reply.payload["handler"] == "李明"
    assert reply.payload["resolved_at"].endswith("+08:00")


def test_a_dispatcher_resolving_on_behalf_names_the_cadre_as_handler(make, world):
    order = assigned_order(make, world)

    workflow.resolve(order, world.dispatcher, result="已电话答复")
    db.session.commit()

    assert replies()[0].payload["handler"] == "李明"


def test_a_refused_resolution_queues_nothing(make, world):
    order = assigned_order(make, world)

    with pytest.raises(refusals.InvalidInput):
        workflow.resolve(order, world.cadre1, result="  ")
    db.session.rollback()

    assert replies() == []


def test_resolving_a_dispute_queues_nothing(make, world):
    dispute = workflow.register_dispute(
        world.dispatcher, village=world.v1, category="邻里纠纷", source="来访", content="争吵", parties=[{"name": "甲"}]
    )
    workflow.assign(dispute, world.dispatcher, assignee=world.cadre1)
    workflow.resolve(dispute, world.cadre1, result="调解成功", outcome="withdrawn")
    db.session.commit()

    assert replies() == []


# --- sent by the runs ----------------------------------------------------------------------------


def test_a_reply_is_retried_until_the_platform_comes_back_then_delivered_once(platform, make, world):
    order = resolved_order(make, world)
    platform.fail_status = 503

    first = intake_run("manual")
    second = intake_run("manual")

    [reply] = replies()
    assert reply.sent_at is None and reply.attempts == 2
    assert "HTTP 503" in reply.last_error
    assert first.status == second.status == "failed"
    assert "replies: 1 " in second.error and "not delivered" in second.error
    assert platform.replies == {}

    platform.heal()
    third = intake_run("manual")
    intake_run("manual")

    db.session.refresh(reply)
    assert (third.status, third.replies_sent) == ("ok", 1)
    assert (reply.sent_via, reply.attempts, reply.last_error) == ("feed", 3, None)
    assert reply.sent_at is not None
    assert platform.replies == {order.number: reply.payload}
    assert len(platform.reply_posts) == 1


def test_a_reply_sent_whose_commit_was_lost_is_recognised_by_the_platform(platform, make, world, app):
    order = resolved_order(make, world)

    def lose_the_commit(session):
        raise RuntimeError("the database went away after the POST")

    event.listen(db.session(), "before_commit", lose_the_commit, once=True)
    with pytest.raises(RuntimeError):
        outbox.send_pending()
    db.session.rollback()
    assert replies()[0].sent_at is None

    assert outbox.send_pending().sent == 1

    assert [p["key"] for p in platform.reply_posts] == [f"casework-reply-{replies()[0].id}"] * 2
    assert list(platform.replies) == [order.number]
    assert replies()[0].sent_via == "feed"


def test_a_reply_the_platform_refuses_keeps_its_error_and_the_next_one_still_goes(platform, make, world):
    broken = resolved_order(make, world)
    fine = resolved_order(make, world)
    bad = replies()[0]
    bad.payload = {"resolved_at": "2026-10-10T10:00:00+08:00", "handler": "李明"}  # no result: the platform says 422
    db.session.commit()

    result = outbox.send_pending()

    assert (result.sent, result.failed) == (1, 1)
    assert "HTTP 422" in replies()[0].last_error and replies()[0].sent_at is None
    assert list(platform.replies) == [fine.number]
    assert broken.number not in platform.replies


def test_a_platform_that_is_down_is_not_asked_once_per_reply(platform, make, world):
    resolved_order(make, world)
    resolved_order(make, world)
    platform.fail_status = 500

    result = outbox.send_pending()

    assert (result.sent, result.failed) == (0, 1)
    assert [r.attempts for r in replies()] == [1, 0]


def test_a_second_resolution_after_reopening_is_a_second_reply_and_the_platform_keeps_the_latest(platform, make, world):
    order = resolved_order(make, world, result="已修好")
    outbox.send_pending()
    workflow.reopen(order, world.dispatcher, reason="群众不满意")
    workflow.resolve(order, world.cadre1, result="重新修好并回访")
    db.session.commit()

    assert outbox.send_pending().sent == 1

    assert [r.payload["result"] for r in replies()] == ["已修好", "重新修好并回访"]
    assert platform.replies[order.number]["result"] == "重新修好并回访"


def test_without_a_feed_nothing_is_sent_and_replies_wait_for_staff(make, world):
    resolved_order(make, world)

    run = intake_run("manual")

    assert (run.status, run.replies_sent) == ("ok", 0)
    assert (replies()[0].attempts, replies()[0].sent_at) == (0, None)


# --- by hand: CSV and confirm ----------------------------------------------------------------------


def test_the_pending_replies_download_as_utf8_csv_with_bom(make, world, auth, client):
    first = resolved_order(make, world, result="=HYPERLINK(1) 已处理")
    second = resolved_order(make, world, result="路面已修补")
    outbox.mark_sent_by_hand([replies()[1].id], world.dispatcher)
    db.session.commit()
    auth.login(world.dispatcher)

    r = client.get("/replies.csv")

    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and the one still pending
    assert rows[1][0] == first.number
    assert rows[1][1] == "'=HYPERLINK(1) 已处理"  # never run as a formula in Excel
    assert rows[1][3] == "李明"
    assert second.number not in r.get_data(as_text=True)


def test_confirming_ticked_replies_marks_them_sent_by_hand_once(make, world, auth, client):
    resolved_order(make, world)
    resolved_order(make, world)
    first, second = replies()
    auth.login(world.dispatcher)

    r = client.post("/replies/confirm", data={"reply_ids": [first.id]})
    assert r.status_code == 302
    db.session.expire_all()
    sent_at = first.sent_at
    assert (first.sent_via, second.sent_at) == ("manual", None)

    client.post("/replies/confirm", data={"reply_ids": [first.id]})
    db.session.expire_all()
    assert first.sent_at == sent_at
    page = client.get("/replies").get_data(as_text=True)
    assert second.order_no in page and first.order_no not in page


def test_confirming_nothing_says_what_to_do_with_a_422(make, world, auth, client):
    resolved_order(make, world)
    auth.login(world.dispatcher)

    r = client.post("/replies/confirm", data={})
    assert r.status_code == 422
    assert "Tick the replies" in r.get_data(as_text=True)

    r = client.post("/replies/confirm", data={"reply_ids": ["abc"]})
    assert r.status_code == 422
    assert replies()[0].sent_at is None


def test_only_dispatchers_download_and_confirm(make, world, auth, client):
    resolved_order(make, world)
    reply_id = replies()[0].id
    for user in (world.cadre1, world.leader):
        auth.login(user)
        assert client.get("/replies.csv").status_code == 403
        assert client.post("/replies/confirm", data={"reply_ids": [reply_id]}).status_code == 403
        auth.logout()
    assert replies()[0].sent_at is None
    with pytest.raises(refusals.Forbidden):
        outbox.mark_sent_by_hand([reply_id], world.cadre1)


def test_without_a_feed_the_queue_tells_the_dispatcher_how_many_replies_wait(make, world, auth, client, app):
    auth.login(world.dispatcher)
    assert "wait to be entered" not in client.get("/queue").get_data(as_text=True)
    resolved_order(make, world)
    resolved_order(make, world)

    assert "2 replies wait to be entered on the platform" in client.get("/queue").get_data(as_text=True)
    app.config["FEED_URL"] = "http://127.0.0.1:9"  # with a feed the runs send them: no reminder
    assert "wait to be entered" not in client.get("/queue").get_data(as_text=True)


def test_the_replies_page_shows_each_pending_reply_with_its_error(platform, make, world, auth, client):
    order = resolved_order(make, world)
    platform.fail_status = 500
    outbox.send_pending()
    auth.login(world.leader)

    page = client.get("/replies").get_data(as_text=True)

    assert order.number in page and "HTTP 500" in page
    assert "reply_ids" not in page  # a leader reads, does not confirm


def test_reopening_withdraws_the_unsent_reply_and_the_next_resolution_queues_its_own(make, world):
    order = resolved_order(make, world, result="已答复")
    workflow.reopen(order, world.dispatcher, reason="来电人不满意")
    db.session.commit()
    assert replies() == []
    workflow.resolve(order, world.cadre1, result="重新处理后已修好")
    db.session.commit()
    assert [r.payload["result"] for r in replies()] == ["重新处理后已修好"]


def test_reopening_leaves_a_reply_already_sent_as_it_was(make, world):
    order = resolved_order(make, world, result="已答复")
    outbox.mark_sent_by_hand([replies()[0].id], world.dispatcher)
    db.session.commit()
    workflow.reopen(order, world.dispatcher, reason="来电人不满意")
    db.session.commit()
    assert [(r.payload["result"], r.sent_via) for r in replies()] == [("已答复", "manual")]


# --- the replies page, a page at a time --------------------------------------------------------------


def waiting_replies(make, world, n: int) -> list[int]:
    """n replies waiting for one resolved order (bulk: thousands cost what dozens do); their ids, oldest first."""
    order = resolved_order(make, world)
    payload = {"result": "已处理", "resolved_at": "2026-11-02T10:00:00+08:00", "handler": "李明"}
    db.session.execute(
        insert(Reply), [{"case_id": order.id, "order_no": f"R{i:05d}", "payload": payload} for i in range(n)]
    )
    db.session.commit()
    return list(db.session.scalars(select(Reply.id).order_by(Reply.id)))


def shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="reply_ids" value="(\d+)"', page)]


def test_the_replies_page_shows_one_page_of_thousands_oldest_first_and_the_total(make, world, auth, client, app):
    ids = waiting_replies(make, world, 2000)
    auth.login(world.dispatcher)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    page = client.get("/replies").get_data(as_text=True)
    assert shown(page) == ids[: app.config["PAGE_SIZE"]]
    assert "(2001)" in page  # every reply waiting, counted in SQL
    assert all("LIMIT" in sql for sql in statements if "FROM replies" in sql and "count" not in sql.lower())


def test_the_replies_page_goes_later_and_back_by_keyset(make, world, auth, client, app):
    app.config["PAGE_SIZE"] = 2
    ids = waiting_replies(make, world, 4)  # five in all, with the order's own
    auth.login(world.dispatcher)
    first = client.get("/replies").get_data(as_text=True)
    assert shown(first) == ids[:2] and f"/replies?after={ids[1]}" in first and "before=" not in first
    second = client.get(f"/replies?after={ids[1]}").get_data(as_text=True)
    assert shown(second) == ids[2:4] and f"/replies?before={ids[2]}" in second and f"after={ids[3]}" in second
    last = client.get(f"/replies?after={ids[3]}").get_data(as_text=True)
    assert shown(last) == ids[4:] and "after=" not in last
    back = client.get(f"/replies?before={ids[2]}").get_data(as_text=True)
    assert shown(back) == ids[:2] and "before=" not in back


@pytest.mark.parametrize("cursor", ["after=abc", "before=-3", "after=99999999999", "before=1.5"])
def test_a_damaged_cursor_shows_the_first_page(make, world, auth, client, cursor):
    ids = waiting_replies(make, world, 3)
    auth.login(world.dispatcher)
    response = client.get(f"/replies?{cursor}")
    assert response.status_code == 200 and shown(response.get_data(as_text=True)) == ids


def test_past_the_last_reply_the_page_leads_back_to_the_oldest(make, world, auth, client):
    ids = waiting_replies(make, world, 1)
    auth.login(world.dispatcher)
    page = client.get(f"/replies?after={ids[-1]}").get_data(as_text=True)
    assert shown(page) == [] and "Every reply has reached" not in page and 'href="/replies"' in page


def test_one_waiting_reply_is_one_reply(make, world, auth, client):
    resolved_order(make, world)
    auth.login(world.dispatcher)
    assert "1 reply waits to be entered on the platform." in client.get("/queue").get_data(as_text=True)
    response = client.post("/replies/confirm", data={"reply_ids": [replies()[0].id]}, follow_redirects=True)
    assert "1 reply marked as sent." in response.get_data(as_text=True)
