"""The dispatcher's queue: its filters, the search by number or words, and problem orders."""

import re
from datetime import timedelta

import pytest

from casework.queue import QueueFilter
from tests.helpers import NOW, T0, found, login_as, main_queries, plan

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


def test_a_number_search_lists_that_order_not_those_that_mention_it(world, make):
    target = make.order(world.v1, number="GD2026999001", content="路灯不亮")
    make.order(world.v1, number="GD2026999777", content="上次的工单GD2026999001没有解决")
    assert found(world, QueueFilter(state=None, q="GD2026999001")) == {target.number}


def test_text_that_matches_no_number_searches_the_content(world, make):
    mention = make.order(world.v1, number="GD2026999778", content="问题编号ABC123仍未处理")
    assert found(world, QueueFilter(state=None, q="ABC123")) == {mention.number}


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
