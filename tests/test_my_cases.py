"""A cadre's "my cases": their open cases, most urgent first, each a tap from resolving or returning it."""

from datetime import timedelta

from casework import queue
from tests.helpers import NOW, login_as, numbers


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


def test_my_cases_says_how_many_are_open_when_not_all_are_listed(world, make, client, app):
    for _ in range(3):
        make.order(world.v1, state="assigned", assignee=world.cadre1)
    app.config["MY_CASES_LIMIT"] = 2  # a list shorter than the work
    login_as(client, world.cadre1)
    page = client.get("/my").get_data(as_text=True)
    assert "(3)" in page and "The 2 most urgent of 3 are shown" in page
