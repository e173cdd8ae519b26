"""The bell and the notifications list (issue 11, "In the app"): one's own notices, newest first, paged, read one
by one or all at once by buttons, each leading to its case; another's notice is 404; hostile words are escaped."""

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from casework import notices, workflow
from casework.extensions import db
from casework.models import Notification, utcnow
from tests.helpers import case_in, login_as, page

BELL = re.compile(r'<a class="bell" href="/notifications" aria-label="([^"]*)">(.*?)</a>', re.S)
HOME = {"dispatcher": "/queue", "cadre": "/my", "leader": "/stats/", "admin": "/admin/users"}


def tell(user, n: int = 1, case=None, text: str = "") -> list[Notification]:
    """`n` notices to `user`, a minute apart (the last one newest)."""
    start = utcnow() - timedelta(hours=1)
    made = [
        notices.notify(user, "intake_failed", case=case, text=text, at=start + timedelta(minutes=i), time=f"08:{i:02d}")
        for i in range(n)
    ]
    db.session.commit()
    return made


def bell(response) -> tuple[str, str]:
    """The bell's label and its count as shown ("" when it shows none)."""
    label, inner = BELL.search(page(response)).groups()
    count = re.search(r'class="bell-count"[^>]*>([^<]*)<', inner)
    return label, count.group(1) if count else ""


def listed(response) -> list[str]:
    """The times of the notices a list page shows, in its order (tell() puts the minute in each)."""
    return re.findall(r"The intake run of (08:\d\d) failed\.", page(response))


def as_user(client, user):
    login_as(client, user)
    return client


# --- the bell ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(HOME))
def test_the_bell_counts_the_unread_on_a_page_of_each_role(world, client, english, role):
    user = {"dispatcher": world.dispatcher, "cadre": world.cadre1, "leader": world.leader, "admin": world.admin}[role]
    tell(world.cadre2, 4)  # someone else's
    as_user(client, user)
    assert bell(client.get(HOME[role])) == ("Notifications: none unread", "")
    tell(user, 3)
    assert bell(client.get(HOME[role])) == ("Notifications: 3 unread", "3")


def test_the_bell_says_99_plus_above_99(world, client, english):
    tell(world.cadre1, 99)
    as_user(client, world.cadre1)
    assert bell(client.get("/my")) == ("Notifications: 99 unread", "99")
    tell(world.cadre1, 51)
    assert bell(client.get("/my")) == ("Notifications: more than 99 unread", "99+")


def test_the_bell_stops_counting_at_100(world, client, english):
    tell(world.cadre1, 150)
    as_user(client, world.cadre1)
    statements = []
    listener = lambda *a: statements.append((a[2], a[3])) if "FROM notifications" in a[2] else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert bell(client.get("/my"))[1] == "99+"
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    [(sql, parameters)] = statements
    assert "LIMIT" in sql.upper() and 100 in (parameters.values() if isinstance(parameters, dict) else parameters)
    assert notices.unread_count(world.cadre1) == 100


def test_the_bell_counts_with_one_query(world, client, english):
    tell(world.cadre1, 5)
    as_user(client, world.cadre1)
    counts = []
    listener = lambda *a: counts.append(a[2]) if "FROM notifications" in a[2] else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get("/my")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(counts) == 1 and "count(" in counts[0].lower()


def test_nobody_logged_in_sees_no_bell(client):
    assert BELL.search(page(client.get("/login"))) is None


# --- the list ----------------------------------------------------------------------------------------------


def test_the_list_shows_only_ones_own_newest_first_with_the_unread_marked(world, make, client, english):
    case = case_in(make, world, "order", "assigned")
    mine = tell(world.cadre1, 3, case=case, text="平台超时")
    tell(world.cadre2, 2)
    mine[0].read_at = utcnow()
    db.session.commit()
    r = as_user(client, world.cadre1).get("/notifications")
    assert r.status_code == 200
    assert listed(r) == ["08:02", "08:01", "08:00"]
    assert page(r).count('class="notice unread"') == 2 and page(r).count("平台超时") == 3
    assert f"/notifications/{mine[2].id}/open" in page(r) and f"/notifications/{mine[0].id}/read" not in page(r)


def test_the_list_pages_by_keyset_both_ways(world, client, english):
    tell(world.cadre1, notices.PAGE_SIZE + 5)
    client = as_user(client, world.cadre1)
    first = client.get("/notifications")
    assert len(listed(first)) == notices.PAGE_SIZE and "Newer" not in page(first)
    older = re.search(r'href="(/notifications\?before=\d+)"', page(first)).group(1)
    second = client.get(older)
    assert len(listed(second)) == 5 and "Older" not in page(second)
    newer = re.search(r'href="(/notifications\?after=\d+)"', page(second)).group(1)
    assert listed(client.get(newer)) == listed(first)


def test_unread_only_leaves_out_what_was_read(world, client, english):
    made = tell(world.cadre1, 3)
    made[1].read_at = utcnow()
    db.session.commit()
    r = as_user(client, world.cadre1).get("/notifications?unread=1")
    assert listed(r) == ["08:02", "08:00"]


def test_a_damaged_cursor_is_the_first_page(world, client, english):
    tell(world.cadre1, 2)
    for cursor in ("after=abc", "before=-1", "before=99999999999999999999", "after=%00"):
        r = as_user(client, world.cadre1).get(f"/notifications?{cursor}")
        assert r.status_code == 200 and listed(r) == ["08:01", "08:00"]


# --- reading ------------------------------------------------------------------------------------------------


def test_viewing_marks_read_and_goes_to_the_case(world, make, client):
    case = case_in(make, world, "order", "assigned")
    [notice] = tell(world.cadre1, case=case)
    r = as_user(client, world.cadre1).post(f"/notifications/{notice.id}/open")
    assert r.status_code == 302 and r.headers["Location"] == f"/cases/{case.id}"
    db.session.refresh(notice)
    assert notice.read_at is not None


def test_a_notice_about_no_case_leads_back_to_the_list(world, client):
    [notice] = tell(world.dispatcher)
    r = as_user(client, world.dispatcher).post(f"/notifications/{notice.id}/open")
    assert r.headers["Location"] == "/notifications"


def test_a_notice_about_a_case_no_longer_ones_own_leads_to_the_list_with_a_word(world, make, client, english):
    case = make.order(world.v2, state="assigned", assignee=world.cadre1)  # outside cadre1's village
    workflow.reassign(case, world.dispatcher, assignee=world.cadre2)
    db.session.commit()
    notice = db.session.scalars(select(Notification).filter_by(recipient_id=world.cadre1.id)).one()
    assert notice.kind == "reassigned_away"
    r = as_user(client, world.cadre1).post(f"/notifications/{notice.id}/open")
    assert r.status_code == 302 and r.headers["Location"] == "/notifications"
    assert "The case of this notification is no longer yours to see." in page(client.get(r.headers["Location"]))
    db.session.refresh(notice)
    assert notice.read_at is not None
    assert client.get(f"/cases/{case.id}").status_code == 404  # where the link used to lead


def test_marking_one_read_leaves_the_others_and_keeps_the_filter(world, client, english):
    first, second = tell(world.cadre1, 2)
    r = as_user(client, world.cadre1).post(f"/notifications/{first.id}/read?unread=1")
    assert r.headers["Location"] == "/notifications?unread=1"
    assert notices.unread_count(world.cadre1) == 1 and listed(client.get(r.headers["Location"])) == ["08:01"]


def test_marking_all_read_is_one_update_of_ones_own(world, client, english):
    tell(world.cadre1, 4)
    tell(world.cadre2, 2)
    as_user(client, world.cadre1)
    updates = []
    listener = lambda *a: updates.append(a[2]) if a[2].lstrip().upper().startswith("UPDATE NOTIFICATIONS") else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        r = client.post("/notifications/read-all")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert r.status_code == 302 and len(updates) == 1
    assert (notices.unread_count(world.cadre1), notices.unread_count(world.cadre2)) == (0, 2)
    after = client.get("/notifications")
    assert "Notifications marked as read: 4." in page(after) and bell(after)[1] == ""


@pytest.mark.parametrize("verb", ["open", "read"])
def test_someone_elses_notice_is_404_and_stays_unread(world, client, verb):
    [theirs] = tell(world.cadre2)
    r = as_user(client, world.cadre1).post(f"/notifications/{theirs.id}/{verb}")
    assert r.status_code == 404
    assert notices.unread_count(world.cadre2) == 1
    assert as_user(client, world.cadre1).post(f"/notifications/{2**31}/{verb}").status_code == 404


def test_a_get_changes_nothing(world, client):
    [notice] = tell(world.cadre1)
    client = as_user(client, world.cadre1)
    assert client.get(f"/notifications/{notice.id}/open").status_code == 405
    assert client.get("/notifications/read-all").status_code == 405
    assert notices.unread_count(world.cadre1) == 1


def test_the_buttons_need_the_csrf_token(world, app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    [notice] = tell(world.cadre1)
    assert as_user(client, world.cadre1).post(f"/notifications/{notice.id}/read").status_code == 400
    assert notices.unread_count(world.cadre1) == 1


def test_the_list_needs_a_login(client):
    assert client.get("/notifications").status_code == 302


def test_the_list_is_in_chinese(world, make, chinese_client):
    case = case_in(make, world, "order", "resolved")
    notices.notify(world.cadre1, "reopened", case=case, actor=world.dispatcher, text="来电人不满意")
    db.session.commit()
    login_as(chinese_client, world.cadre1)
    text = page(chinese_client.get("/notifications"))
    assert f"案件{case.number}被退回重办。" in text and "查看" in text and "通知：1条未读" in text


# --- hostile words ----------------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.sampled_from(["<script>alert(1)</script>", '=cmd|" /C calc"!A0', "\u202eevil\u202c", "a\x00b", "中" * 5000]),
    st.text(min_size=1, max_size=40),
)


@settings(max_examples=15)
@given(reason=HOSTILE)
def test_a_hostile_reason_is_shown_escaped_and_never_a_500(world, make, client, reason):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)
    sent = client.post(f"/cases/{case.id}/return", data={"return-reason": reason, "return-version": case.version})
    assert sent.status_code < 500
    login_as(client, world.dispatcher)
    r = client.get("/notifications")
    assert r.status_code == 200 and "<script>alert" not in page(r)
    assert not any("\x00" in text for text in db.session.scalars(select(Notification.text)))
