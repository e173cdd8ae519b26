"""The loop in a real browser (issue 11, part 5): Debian's Chromium through Playwright on the live server, each
person logging in through the real form in a window of their own size: the dispatcher's 1366x768 desktop, the
cadre's 390x844 phone, the leader's desktop. What the browser did is checked in the database and in the file.
"""

import pytest
from openpyxl import load_workbook

from casework.extensions import db
from tests import browser
from tests.browser import DESKTOP, PHONE


def test_the_dispatcher_assigns_an_order_from_the_queue(world, make, open_window):
    case = make.order(world.v1, content="路灯不亮，村口第三根")
    window = open_window(DESKTOP, user=world.dispatcher)
    window.page.goto("/queue")
    window.page.click(f"text={case.number}")
    assert window.page.url.endswith(f"/cases/{case.id}")
    form = window.page.locator("form[action$='/assign']")
    form.locator("select[name='assign-assignee']").select_option(str(world.cadre1b.id))
    form.locator("textarea[name='assign-note']").fill("请今天去看一下")
    with window.page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert window.page.locator(".flash.success").inner_text() == "Done: Assign."
    db.session.expire_all()
    assert (case.state, case.assignee) == ("assigned", world.cadre1b)
    assert window.errors == [] and window.violations() == []


def test_an_empty_resolve_on_a_phone_shows_its_message_in_view(world, make, open_window):
    """Before the refused field took the focus, the message lay about 1140 px down an 844 px screen."""
    case = make.order(world.v1, state="assigned", assignee=world.cadre1, category="供暖")
    window = open_window(PHONE, user=world.cadre1)
    window.page.goto(f"/cases/{case.id}?do=resolve")
    with window.page.expect_navigation():
        window.page.click("form[action$='/resolve'] button[type=submit]")
    message = window.page.locator("form[action$='/resolve'] .error-msg").first
    box = message.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert window.page.evaluate("document.activeElement.name") == "resolve-result"
    window.page.evaluate("window.scrollTo(0, 0)")  # the page is long: at its top, the message is out of sight
    assert message.bounding_box()["y"] > PHONE["height"]
    db.session.expire_all()
    assert case.state == "assigned"


def test_the_leader_downloads_the_monthly_workbook(october, world, open_window, tmp_path):
    window = open_window(DESKTOP, user=world.leader)
    window.page.goto("/stats/month?month=2026-10")
    with window.page.expect_download() as download:
        window.page.click("a[href$='.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    download.value.save_as(saved := tmp_path / download.value.suggested_filename)
    workbook = load_workbook(saved)
    orders = [[c.value for c in row] for row in workbook["本月工单清单"].iter_rows()]
    assert [row[0] for row in orders[2:]] == ["GD-A", "GD-B", "GD-C"]  # received in October, oldest first


def test_without_chromium_the_browser_tests_skip_here_and_fail_in_ci(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser.launch(None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser.launch(None)


def test_a_failed_browser_test_leaves_a_screenshot_of_its_windows(open_window, tmp_path, monkeypatch):
    monkeypatch.setattr(browser, "SCREENSHOTS", tmp_path)
    window = open_window(PHONE)
    window.page.goto("/login")
    saved = browser.save_screenshots("tests/test_x.py::test_y[phone]", [window.page])
    assert [p.name for p in saved] == ["tests_test_x.py__test_y_phone_-0.png"]
    assert saved[0].read_bytes().startswith(b"\x89PNG")
