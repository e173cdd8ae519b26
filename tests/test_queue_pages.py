"""The queue's keyset pages: newest first, and new orders by acknowledgement deadline (签收), read from an index."""

import re
from datetime import timedelta

import pytest

from casework import queue
from casework.models import utcnow
from casework.queue import QueueFilter
from tests.helpers import NOW, T0, login_as, main_queries, numbers, plan

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


@pytest.mark.parametrize("page", [{}, {"after": "a1792000000.000000_3"}, {"before": "a1792000000.000000_3"}])
def test_new_orders_by_acknowledgement_are_read_in_order_from_an_index(world, new_cases, page):
    ack_part = main_queries(world, QueueFilter(), **page)[0]
    assert "ack_due_at" in ack_part[0].split("ORDER BY")[1]
    shown = plan(*ack_part)
    assert "ix_cases_state_ack_due" in shown, shown
    assert "TEMP B-TREE" not in shown and "Sort" not in shown, shown
