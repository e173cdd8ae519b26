"""The dispatcher's queue (filters, search, keyset pages), a cadre's "my cases" and bulk assignment."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from casework import queue
from casework.extensions import db
from casework.models import Case, utcnow
from casework.queue import QueueFilter
from tests.test_case_views import login_as

T0 = datetime(2026, 10, 10, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def numbers(page_or_cases) -> list[str]:
    cases = getattr(page_or_cases, "cases", page_or_cases)
    return [c.number for c in cases]


def found(world, f: QueueFilter, user=None) -> set[str]:
    return set(numbers(queue.queue_page(user or world.dispatcher, f, limit=1000, now=NOW)))


# --- filters and search ------------------------------------------------------------------------


@pytest.fixture
def mix(world, make):
    return {
        "new_v1": make.order(world.v1, number="GD001", category="供暖", content="暖气不热 三楼"),
        "new_v2": make.order(world.v2, number="GD002", category="道路", content="路灯不亮"),
        "late_v1": make.order(
            world.v1,
            number="GD003",
            state="assigned",
            assignee=world.cadre1,
            due_at=NOW - timedelta(hours=1),
            content="垃圾没人清",
        ),
        "due_v2": make.order(
            world.v2,
            number="GD0100",
            state="assigned",
            assignee=world.cadre2,
            due_at=NOW + timedelta(days=2),
            content="噪音扰民",
        ),
        "done_v1": make.order(
            world.v1,
            number="GD0200",
            state="resolved",
            assignee=world.cadre1,
            result="ok",
            resolved_at=T0,
            due_at=NOW - timedelta(days=5),
            content="咨询政策",
        ),
        "dispute_v3": make.order(
            world.v3, kind="dispute", number="JF2026-00001", tier="village", category="邻里纠纷", content="宅基地 暖气"
        ),
    }


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (QueueFilter(), {"GD001", "GD002", "JF2026-00001"}),  # new cases by default
        (QueueFilter(state=None), {"GD001", "GD002", "GD003", "GD0100", "GD0200", "JF2026-00001"}),
        (QueueFilter(state="assigned"), {"GD003", "GD0100"}),
        (QueueFilter(state="resolved"), {"GD0200"}),
        (QueueFilter(state=None, kind="dispute"), {"JF2026-00001"}),
        (QueueFilter(state=None, kind="order", category="供暖"), {"GD001"}),
        (QueueFilter(state=None, overdue=True), {"GD003"}),  # a resolved case is never overdue
        (QueueFilter(state="bogus"), {"GD001", "GD002", "GD003", "GD0100", "GD0200", "JF2026-00001"}),
    ],
)
def test_filters(world, mix, f, expected):
    assert found(world, f) == expected


def test_filter_by_village(world, mix):
    assert found(world, QueueFilter(state=None, village_id=world.v1.id)) == {"GD001", "GD003", "GD0200"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("GD0100", {"GD0100"}),  # exact number
        ("GD01", {"GD0100"}),  # its beginning
        ("GD0", {"GD001", "GD002", "GD003", "GD0100", "GD0200"}),
        ("JF2026", {"JF2026-00001"}),
        ("暖气", {"GD001", "JF2026-00001"}),  # words in the content
        ("暖气 三楼", {"GD001"}),  # every word must appear
        ("三楼 暖气", {"GD001"}),
        ("  路灯  ", {"GD002"}),
        ("%", set()),  # LIKE wildcards are searched for, not used
        ("_", set()),
        ("0100", set()),  # the middle of a number is not its beginning
        ("不存在的词", set()),
    ],
)
def test_search_by_number_or_words(world, mix, q, expected):
    assert found(world, QueueFilter(state=None, q=q)) == expected


def test_a_cadre_sees_only_their_cases_even_in_the_lists(world, mix):
    assert found(world, QueueFilter(state=None), world.cadre2) == {"GD002", "GD0100"}


def test_queue_page_over_http_applies_the_filters(world, mix, client):
    login_as(client, world.dispatcher)
    text = client.get("/queue", query_string={"state": "", "village": world.v2.id, "q": "路灯"}).get_data(as_text=True)
    assert "GD002" in text and "GD0100" not in text and "GD001<" not in text


@pytest.mark.parametrize(
    "args",
    [
        {"village": "abc"},
        {"village": str(10**20)},
        {"after": "garbage"},
        {"before": "1e400_1"},
        {"after": "nan_1"},
        {"after": "99999999999999_1"},
        {"after": f"1760058000.000000_{10**20}"},
        {"before": f"1760058000.000000_{10**20}"},
        {"kind": "<script>"},
        {"q": "x" * 500},
    ],
)
def test_malformed_queue_arguments_never_give_a_500(world, mix, client, args):
    login_as(client, world.dispatcher)
    assert client.get("/queue", query_string=args).status_code == 200


# --- keyset pagination -------------------------------------------------------------------------


@pytest.fixture
def crowd(world, make):
    """Eleven new orders; several share a received time to the microsecond."""
    stamps = [T0, T0, T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), T0 + timedelta(microseconds=1)]
    stamps += [T0 + timedelta(hours=h) for h in range(1, 6)]
    return [make.order(world.v1, number=f"P{i:03d}", received_at=at) for i, at in enumerate(stamps)]


def expected_order(cases) -> list[str]:
    return [c.number for c in sorted(cases, key=lambda c: (c.received_at, c.id), reverse=True)]


def walk_older(user, limit: int):
    pages, cursor = [], None
    while True:
        page = queue.queue_page(user, QueueFilter(), after=cursor, limit=limit, now=NOW)
        pages.append(page)
        if not page.older:
            return pages
        cursor = page.older


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 11, 12])
def test_pages_going_older_have_no_duplicates_and_no_gaps(world, crowd, limit):
    pages = walk_older(world.dispatcher, limit)
    assert [n for p in pages for n in numbers(p)] == expected_order(crowd)
    assert all(len(p.cases) == limit for p in pages[:-1])


def walk_back(user, pages, limit: int) -> None:
    """From the last page, each link to the page before shows the same cases as it did going on."""
    assert pages[0].newer is None
    back = pages[-1]
    for previous in reversed(pages[:-1]):
        back = queue.queue_page(user, QueueFilter(), before=back.newer, limit=limit, now=NOW)
        assert numbers(back) == numbers(previous)
    assert back.newer is None


@pytest.mark.parametrize("limit", [2, 3, 4])
def test_newer_links_lead_back_through_the_same_pages(world, crowd, limit):
    walk_back(world.dispatcher, walk_older(world.dispatcher, limit), limit)


def listed_over_http(client, page_size: int, app) -> list[str]:
    """The numbers of the queue's pages as a dispatcher reads them, following each page's link to the next."""
    app.config["PAGE_SIZE"] = page_size
    seen, url = [], "/queue"
    while url:
        text = client.get(url).get_data(as_text=True)
        seen += re.findall(r'/cases/\d+">([^<]+)</a>', text)
        older = re.search(r'href="([^"]*after=[^"]*)"', text)
        url = older and older.group(1).replace("&amp;", "&")
    return seen


def test_pagination_over_http_follows_the_links(world, crowd, client, app):
    login_as(client, world.dispatcher)
    assert listed_over_http(client, 4, app) == expected_order(crowd)


def test_a_new_order_arriving_does_not_shift_the_next_page(world, crowd, make):
    first = queue.queue_page(world.dispatcher, QueueFilter(), limit=4, now=NOW)
    make.order(world.v1, number="P999", received_at=T0 + timedelta(days=1))
    second = queue.queue_page(world.dispatcher, QueueFilter(), after=first.older, limit=4, now=NOW)
    assert numbers(second) == expected_order(crowd)[4:8]


# --- my cases ------------------------------------------------------------------------------------


def test_my_cases_are_mine_open_and_most_urgent_first(world, make):
    mine = dict(state="assigned", assignee=world.cadre1)
    no_due = make.order(world.v1, number="M-nodue", **mine)
    later = make.order(world.v1, number="M-later", due_at=NOW + timedelta(days=3), **mine)
    overdue = make.order(world.v1, number="M-overdue", due_at=NOW - timedelta(days=1), **mine)
    soon = make.order(world.v1, number="M-soon", due_at=NOW + timedelta(hours=3), **mine)
    make.order(world.v1, number="M-other", state="assigned", assignee=world.cadre1b, due_at=NOW)
    make.order(world.v1, number="M-done", state="resolved", assignee=world.cadre1, result="ok", resolved_at=NOW)
    make.order(world.v1, number="M-new")
    assert numbers(queue.my_cases(world.cadre1, now=NOW)) == [c.number for c in (overdue, soon, later, no_due)]


def test_my_cases_page_offers_resolve_and_return_in_one_tap(world, make, client):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=NOW)
    login_as(client, world.cadre1)
    text = client.get("/my").get_data(as_text=True)
    assert f"/cases/{case.id}?do=resolve" in text and f"/cases/{case.id}?do=return" in text


# --- bulk assign ---------------------------------------------------------------------------------


def bulk(client, cases, assignee="default"):
    return client.post(
        "/queue/assign", data={"case_ids": [c.id for c in cases], "assignee": assignee}, follow_redirects=True
    )


def state_of(case):
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return fresh.state, fresh.assignee_id


def test_bulk_assign_gives_each_case_to_its_villages_default_cadre(world, make, client):
    a, b, c = make.order(world.v1), make.order(world.v2), make.order(world.v3)
    login_as(client, world.dispatcher)
    r = bulk(client, [a, b, c])
    assert "3 assigned." in r.get_data(as_text=True)
    assert [state_of(x) for x in (a, b, c)] == [
        ("assigned", world.cadre1.id),
        ("assigned", world.cadre2.id),
        ("assigned", world.cadre3.id),
    ]
    assert [e.action for e in db.session.get(Case, a.id).events] == ["assign"]


def test_bulk_assign_to_a_chosen_cadre_skips_cases_outside_their_villages(world, make, client):
    a, b = make.order(world.v1), make.order(world.v2)
    login_as(client, world.dispatcher)
    text = bulk(client, [a, b], assignee=str(world.cadre1b.id)).get_data(as_text=True)
    assert "1 assigned." in text
    assert f"{b.number} not assigned: {world.cadre1b.name} does not serve this case" in text
    assert state_of(a) == ("assigned", world.cadre1b.id) and state_of(b) == ("received", None)


def test_bulk_assign_skips_each_case_that_cannot_go_with_its_reason(world, make, client):
    nowhere = make.order(None)
    no_default = make.order(make.village("无人村"))
    taken = make.order(world.v1, state="assigned", assignee=world.cadre1b)
    fine = make.order(world.v2)
    login_as(client, world.dispatcher)
    text = bulk(client, [nowhere, no_default, taken, fine]).get_data(as_text=True)
    assert "1 assigned." in text
    assert f"{nowhere.number} not assigned: Set the case" in text
    assert f"{no_default.number} not assigned: The village has no default cadre" in text
    assert f"{taken.number} not assigned: The action" in text
    assert state_of(taken) == ("assigned", world.cadre1b.id) and state_of(fine)[0] == "assigned"
    assert db.session.get(Case, nowhere.id).events == []


@pytest.mark.parametrize("assignee", ["abc", "99999", str(10**20)])
def test_bulk_assign_to_an_unknown_cadre_assigns_nothing(world, make, client, assignee):
    case = make.order(world.v1)
    login_as(client, world.dispatcher)
    r = bulk(client, [case], assignee=assignee)
    assert "Choose a cadre to assign to." in r.get_data(as_text=True)
    assert state_of(case) == ("received", None)


def test_bulk_assign_with_nothing_ticked_says_so(world, client):
    login_as(client, world.dispatcher)
    assert "Tick the cases to assign first." in bulk(client, []).get_data(as_text=True)


def test_a_number_search_lists_that_order_not_those_that_mention_it(world, make):
    target = make.order(world.v1, number="GD2026999001", content="路灯不亮")
    make.order(world.v1, number="GD2026999777", content="上次的工单GD2026999001没有解决")
    assert found(world, QueueFilter(state=None, q="GD2026999001")) == {target.number}


def test_text_that_matches_no_number_searches_the_content(world, make):
    mention = make.order(world.v1, number="GD2026999778", content="问题编号ABC123仍未处理")
    assert found(world, QueueFilter(state=None, q="ABC123")) == {mention.number}


def test_my_cases_says_how_many_are_open_when_not_all_are_listed(world, make, client, app):
    for _ in range(3):
        make.order(world.v1, state="assigned", assignee=world.cadre1)
    app.config["MY_CASES_LIMIT"] = 2  # a list shorter than the work
    login_as(client, world.cadre1)
    page = client.get("/my").get_data(as_text=True)
    assert "(3)" in page and "The 2 most urgent of 3 are shown" in page


@pytest.mark.parametrize(
    "typed",
    [
        "gd202611300005",  # lower case
        "  GD202611300005 ",
        "".join(chr(ord(c) + 0xFEE0) for c in "GD202611300005"),  # full-width, as a Chinese keyboard types
        "".join(chr(ord(c) + 0xFEE0) for c in "gd202611300005"),
        "gd2026113000",  # its beginning, in lower case
    ],
)
def test_a_number_is_found_however_it_is_typed(world, make, typed):
    target = make.order(world.v1, number="GD202611300005")
    make.order(world.v1, number="GD202611300015")
    expected = {target.number} if typed != "gd2026113000" else {target.number, "GD202611300015"}
    assert found(world, QueueFilter(state=None, q=typed)) == expected


def test_a_number_stored_in_lower_case_is_still_found_as_typed(world, make):
    target = make.order(world.v1, number="sx-2026-001")
    assert found(world, QueueFilter(state=None, q="sx-2026-001")) == {target.number}


def test_a_lower_case_number_search_over_http_lists_the_order(world, make, client):
    target = make.order(world.v1, number="GD202611300005")
    login_as(client, world.dispatcher)
    text = client.get("/queue", query_string={"state": "", "q": "gd202611300005"}).get_data(as_text=True)
    assert f">{target.number}</a>" in text


# --- new orders by acknowledgement deadline (签收) ---------------------------------------------------


@pytest.fixture
def new_cases(world, make):
    """New cases: orders awaiting acknowledgement (some due at the same moment), a returned order, a dispute,
    and an assigned order (never in the new cases' list)."""
    awaiting = [
        make.order(world.v1, number=f"A{i:02d}", received_at=T0 + timedelta(minutes=i), ack_due_at=due)
        for i, due in enumerate(
            [NOW + timedelta(hours=5), NOW - timedelta(hours=2), NOW + timedelta(minutes=20)]
            + [NOW - timedelta(days=1)] * 3
            + [NOW + timedelta(hours=1), NOW + timedelta(hours=1), NOW - timedelta(minutes=1)]
        )
    ]
    others = [
        make.order(
            world.v1, number="R-returned", received_at=T0, ack_due_at=T0 + timedelta(hours=2), acknowledged_at=T0
        ),
        make.order(world.v1, kind="dispute", number="JF2026-00007", tier="village", received_at=T0 + timedelta(days=1)),
        make.order(world.v1, number="R-old", received_at=T0 - timedelta(days=1), ack_due_at=None),
    ]
    make.order(
        world.v1, number="X-assigned", state="assigned", assignee=world.cadre1, ack_due_at=NOW, acknowledged_at=T0
    )
    return awaiting, others


def by_acknowledgement(new_cases) -> list[str]:
    awaiting, others = new_cases
    return numbers(sorted(awaiting, key=lambda c: (c.ack_due_at, c.id))) + expected_order(others)


def test_new_orders_come_by_acknowledgement_deadline_overdue_first_then_the_other_new_cases_newest_first(
    world, new_cases
):
    listed = numbers(queue.queue_page(world.dispatcher, QueueFilter(), limit=100, now=NOW))
    assert listed == by_acknowledgement(new_cases)
    assert listed[:3] == ["A03", "A04", "A05"] and listed[-3:] == ["JF2026-00007", "R-returned", "R-old"]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8, 9, 11, 12])
def test_pages_by_acknowledgement_have_no_duplicates_and_no_gaps_across_both_parts(world, new_cases, limit):
    pages = walk_older(world.dispatcher, limit)
    assert [n for p in pages for n in numbers(p)] == by_acknowledgement(new_cases)
    assert all(len(p.cases) == limit for p in pages[:-1])


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_previous_links_by_acknowledgement_lead_back_through_the_same_pages(world, new_cases, limit):
    walk_back(world.dispatcher, walk_older(world.dispatcher, limit), limit)


def test_pages_by_acknowledgement_over_http_follow_the_links(world, new_cases, client, app):
    login_as(client, world.dispatcher)
    assert listed_over_http(client, 4, app) == by_acknowledgement(new_cases)


def test_the_acknowledgement_overdue_filter_lists_orders_awaiting_acknowledgement_past_it(world, new_cases):
    for state in ("received", None, "assigned"):
        listed = numbers(queue.queue_page(world.dispatcher, QueueFilter(state=state, ack_overdue=True), now=NOW))
        assert listed == ([] if state == "assigned" else ["A03", "A04", "A05", "A01", "A08"])


@pytest.mark.parametrize("cursor", ["a", "a_1", "anan_1", "ainf_1", "a1e400_1", "z1760058000.000000_1", "a-1_-1"])
def test_a_damaged_acknowledgement_cursor_shows_the_first_page(world, new_cases, client, cursor):
    login_as(client, world.dispatcher)
    for way in ("after", "before"):
        r = client.get("/queue", query_string={way: cursor})
        assert r.status_code == 200 and re.findall(r">(A\d\d)</a>", r.get_data(as_text=True))[0] == "A03"


def ack_badges(text: str) -> dict[str, str]:
    """Each row's acknowledgement badge on the queue page: number -> (colour, words)."""
    rows = re.findall(r"<tr>(.*?)</tr>", text, re.S)
    found = {}
    for row in rows:
        number = re.search(r'/cases/\d+">([^<]+)</a>', row)
        badge = re.search(r'<span class="badge due-([\w-]+)" data-ack[^>]*>([^<]+)</span>', row)
        if number and badge:
            found[number.group(1)] = (badge.group(1), badge.group(2))
    return found


def test_new_orders_show_their_acknowledgement_deadline_when_due_soon_or_overdue(world, make, client):
    now = utcnow()
    make.order(world.v1, number="K-late", urgency="特急", ack_due_at=now - timedelta(hours=1, minutes=5, seconds=1))
    make.order(world.v1, number="K-soon", urgency="紧急", ack_due_at=now + timedelta(minutes=20, seconds=30))
    make.order(world.v1, number="K-later", ack_due_at=now + timedelta(hours=3))
    make.order(
        world.v1, number="K-returned", ack_due_at=now - timedelta(hours=1), acknowledged_at=now - timedelta(hours=2)
    )
    login_as(client, world.dispatcher)
    for path in ("/queue", "/queue?state="):
        assert ack_badges(client.get(path).get_data(as_text=True)) == {
            "K-late": ("overdue", "Acknowledgement 1 hour 5 minutes overdue"),
            "K-soon": ("due-soon", "Acknowledge within 20 minutes"),
        }


def test_the_case_page_shows_when_to_acknowledge_by(world, make, client):
    case = make.order(world.v1, ack_due_at=utcnow() - timedelta(minutes=10, seconds=1))
    login_as(client, world.dispatcher)
    text = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Acknowledge by" in text and re.search(
        r'class="badge due-overdue" data-ack[^>]*>Acknowledgement 10 minutes overdue<', text
    )


def test_the_case_page_of_an_assigned_order_shows_no_acknowledgement(world, make, client):
    now = utcnow()
    case = make.order(world.v1, state="assigned", assignee=world.cadre1, ack_due_at=now, acknowledged_at=now)
    login_as(client, world.dispatcher)
    text = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Acknowledge" not in text and "data-ack" not in text


def test_the_acknowledgement_overdue_filter_over_http_is_kept_across_tabs_and_pages(world, new_cases, client, app):
    app.config["PAGE_SIZE"] = 2
    login_as(client, world.dispatcher)
    text = client.get("/queue", query_string={"ack_overdue": "1"}).get_data(as_text=True)
    assert 'name="ack_overdue" value="1" checked' in text
    assert all("ack_overdue=1" in link for link in re.findall(r'href="(/queue\?[^"]*(?:after|state)=[^"]*)"', text))


def main_queries(world, f: QueueFilter, **page) -> list[tuple[str, object]]:
    """The SELECTs over cases that one page of the queue sends, with their parameters."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "FROM cases" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        queue.queue_page(world.dispatcher, f, now=NOW, **page)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def plan(statement: str, parameters, in_order: bool = True) -> str:
    """The query plan. On PostgreSQL (whose few test rows it would rather scan) as if there were too many rows
    to scan and, `in_order`, to sort: is there an index for the search, and does it give the order by itself?"""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return "\n".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        conn.exec_driver_sql("SET LOCAL enable_sort = " + ("off" if in_order else "on"))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


@pytest.mark.parametrize("page", [{}, {"after": "a1792000000.000000_3"}, {"before": "a1792000000.000000_3"}])
def test_new_orders_by_acknowledgement_are_read_in_order_from_an_index(world, new_cases, page):
    ack_part = main_queries(world, QueueFilter(), **page)[0]
    assert "ack_due_at" in ack_part[0].split("ORDER BY")[1]
    shown = plan(*ack_part)
    assert "ix_cases_state_ack_due" in shown, shown
    assert "TEMP B-TREE" not in shown and "Sort" not in shown, shown


# --- problem orders (问题工单) --------------------------------------------------------------------


@pytest.fixture
def reopened(world, make):
    done = dict(state="resolved", assignee=world.cadre1, result="ok", resolved_at=T0)
    return {
        "twice": make.order(world.v1, number="Q-2", reopen_count=2, **done),
        "three": make.order(world.v1, number="Q-3", reopen_count=3, **done),
        "five": make.order(world.v1, number="Q-5", reopen_count=5, state="assigned", assignee=world.cadre1),
        "dispute": make.order(world.v1, kind="dispute", number="JF2026-00003", tier="village", reopen_count=4),
        "never": make.order(world.v1, number="Q-0"),
    }


def test_the_problem_filter_lists_orders_reopened_three_times_or_more_in_any_state(world, reopened):
    assert found(world, QueueFilter(state=None, problem=True)) == {"Q-3", "Q-5"}
    assert found(world, QueueFilter(state="assigned", problem=True)) == {"Q-5"}


def test_how_many_reopenings_make_a_problem_order_comes_from_configuration(world, reopened, app):
    app.config["PROBLEM_REOPENS"] = 2
    assert found(world, QueueFilter(state=None, problem=True)) == {"Q-2", "Q-3", "Q-5"}


def problem_badges(text: str) -> set[str]:
    rows = re.findall(r"<tr>(.*?)</tr>", text, re.S)
    return {re.search(r'/cases/\d+">([^<]+)</a>', row).group(1) for row in rows if "data-problem" in row}


def test_problem_orders_are_marked_on_the_queue_and_their_page(world, reopened, client):
    login_as(client, world.dispatcher)
    assert problem_badges(client.get("/queue?state=").get_data(as_text=True)) == {"Q-3", "Q-5"}
    text = client.get(f"/cases/{reopened['five'].id}").get_data(as_text=True)
    assert re.search(r'<h1>.*data-problem title="Reopened 5 times">Problem order</span>.*</h1>', text, re.S)
    assert "data-problem" not in client.get(f"/cases/{reopened['twice'].id}").get_data(as_text=True)


def test_the_problem_filter_over_http_is_kept_across_tabs(world, reopened, client):
    login_as(client, world.dispatcher)
    text = client.get("/queue", query_string={"state": "", "problem": "1"}).get_data(as_text=True)
    assert 'name="problem" value="1" checked' in text and problem_badges(text) == {"Q-3", "Q-5"}
    assert all("problem=1" in link for link in re.findall(r'<a href="(/queue\?[^"]*state=[^"]*)"', text))


def test_problem_orders_are_found_through_an_index(world, reopened):
    statement = main_queries(world, QueueFilter(state=None, problem=True))[0]
    assert "ix_cases_kind_reopens" in plan(*statement, in_order=False)
