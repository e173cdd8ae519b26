"""On a phone the dispatcher's lists fit the screen: a wide table scrolls in its own box and long unbroken text
wraps, so the page itself never scrolls sideways.

The pages come from the live server and are laid out by Debian's Chromium through Playwright, in a window as
narrow as a small phone (375 px, narrower than the 390 px of the other phone tests: what fits it fits those).
"""

import re

import pytest

from casework.extensions import db
from casework.models import RejectedRow
from tests.helpers import login_as

SMALL_PHONE = {"width": 375, "height": 812}
UNBROKEN = "无法识别的字段内容" * 3 + "x" * 160  # a pasted field with no place to break a line

# How wide the page became, and what sticks out of the screen (but for what is inside a box that scrolls).
PROBE = """() => {
  const root = document.documentElement, out = {page: root.scrollWidth, screen: root.clientWidth, wide: []};
  document.querySelectorAll('body *').forEach(e => {
    const box = e.getBoundingClientRect(), scroller = e.closest('.scroll');
    if (box.right > root.clientWidth + 1 && box.width > 0 && !(scroller && scroller !== e))
      out.wide.push(e.tagName + '.' + e.className + ' ' + Math.round(box.right));
  });
  return out;
}"""


def laid_out_on_a_phone(open_window, user, path: str) -> dict:
    window = open_window(SMALL_PHONE, user=user)
    answer = window.page.goto(path)
    assert answer.status == 200, f"{path}: {answer.status}"
    return window.page.evaluate(PROBE)


@pytest.fixture
def long_rejected_row(world):
    row = RejectedRow(source_name="orders-" + "长文件名" * 10 + ".xlsx", line=3, reason="The order number is missing.")
    row.raw = {"order_no": "GD" + "9" * 60, "content": UNBROKEN, "address": UNBROKEN, "caller_name": UNBROKEN}
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def full_queue(world, make):
    for _ in range(3):
        make.order(world.v1, content=UNBROKEN, urgency="特急", category="环境卫生")
        make.order(world.v2, state="assigned", assignee=world.cadre2, content="路灯不亮" * 20)


def test_the_queue_table_sits_in_a_box_that_scrolls_by_itself(world, full_queue, client):
    login_as(client, world.dispatcher)
    text = client.get("/queue").get_data(as_text=True)
    assert re.search(r'<div class="scroll">\s*<table class="list">', text)


@pytest.mark.parametrize("path", ["/queue", "/queue?state="])
def test_the_queue_fits_a_phone(world, full_queue, open_window, path):
    layout = laid_out_on_a_phone(open_window, world.dispatcher, path)
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout


def test_rejected_rows_with_long_unbroken_text_fit_a_phone(world, long_rejected_row, open_window):
    layout = laid_out_on_a_phone(open_window, world.dispatcher, "/intake/rejected")
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout


def test_a_case_with_long_unbroken_text_fits_a_phone(world, make, open_window):
    case = make.order(world.v1, content=UNBROKEN, address=UNBROKEN)
    layout = laid_out_on_a_phone(open_window, world.dispatcher, f"/cases/{case.id}")
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout


def test_the_probe_sees_a_page_wider_than_the_phone(app, open_window):
    """The check above can fail: a table of unbroken text outside a .scroll box widens the page, and the probe
    says so."""

    @app.route("/test-only-wide")
    def wide():
        return (
            '<!doctype html><link rel="stylesheet" href="/static/casework.css"><table><tr><td>'
            + "x" * 300
            + "</td></tr></table>"
        )

    window = open_window(SMALL_PHONE)
    window.page.goto("/test-only-wide")
    layout = window.page.evaluate(PROBE)
    assert layout["page"] > layout["screen"] and layout["wide"], layout
