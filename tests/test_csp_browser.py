"""The Content-Security-Policy is honest: Debian's Chromium, driven by Playwright, loads real pages from a live
server under it and reports no violation (a blocked inline style, script or handler is written to the console)
and no error of our scripts. Each user logs in through the real login form, in a window of their own.
"""

import pytest

from casework.extensions import db
from casework.models import RejectedRow
from tests.browser import DESKTOP, PHONE


def pages(world, make) -> list[tuple[str, object]]:
    """(path, who loads it): a page of each kind: lists, forms, a case with its actions, the statistics'
    chart, the holiday calendar (its styles were inline once), the login page, the installable app's pages."""
    case = make.order(world.v1)
    row = RejectedRow(source_name="orders.csv", line=2, reason="The order number is missing.")
    db.session.add(row)
    db.session.commit()
    return [
        ("/login", None),
        ("/offline", None),
        ("/queue", world.dispatcher),
        (f"/cases/{case.id}", world.dispatcher),
        ("/disputes/new", world.dispatcher),
        (f"/intake/rejected/{row.id}", world.dispatcher),
        ("/runs", world.dispatcher),
        ("/stats/month?month=2026-10", world.leader),
        ("/my", world.cadre1),
        ("/account/notifications", world.cadre1),
        ("/admin/calendar/2026", world.admin),
        (f"/admin/users/{world.cadre1.id}", world.admin),
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_load_in_chromium_without_a_policy_violation(world, make, open_window, viewport):
    windows, found = {}, {}
    for path, user in pages(world, make):
        window = windows.get(user) or windows.setdefault(user, open_window(viewport, user=user))
        answer = window.page.goto(path)
        assert answer.status == 200, f"{path}: {answer.status}"
        window.page.wait_for_load_state("load")
        found[path] = window.violations() + window.errors
        window.console.clear(), window.errors.clear()
    assert found == {path: [] for path in found}


def test_chromium_reports_an_inline_style_and_script_the_policy_blocks(app, open_window):
    """The check above can fail: a page with inline code, served with the app's policy, is reported."""

    @app.route("/test-only-inline")
    def inline():
        return '<p style="color: red">x</p><script>document.title = "ran"</script><a onclick="go()">y</a>'

    window = open_window(DESKTOP)
    window.page.goto("/test-only-inline")
    found = window.violations()
    assert any("style-src" in line for line in found), found
    assert any("script-src" in line for line in found), found
    assert window.page.title() != "ran"
