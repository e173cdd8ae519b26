"""The Content-Security-Policy is honest: a real Chromium loads real pages from a live server under it and
reports no violation (an inline style, script or handler the policy blocks is written to the console, which
Chromium's --enable-logging puts on stderr).

The browser logs in through the real login form: a local file (no policy of ours applies to it) posts the
username and password to /login with `next`, and the login redirects to the page under test. The server notes
what it answered, so a login that failed (the page never served) cannot pass as a page without violations.
"""

import subprocess
from html import escape

import pytest
from flask import request

from casework.extensions import db
from casework.models import RejectedRow
from tests.helpers import CHROMIUM, PASSWORD, needs_chromium
from tests.live import LiveServer

VIOLATION = "Content Security Policy"
LOGIN_AND_GO = """<!doctype html><form method="post" action="{url}/login">
<input name="username" value="{username}"><input name="password" value="{password}"><input name="next" value="{next}">
</form><script>document.forms[0].submit()</script>"""


class Chromium:
    """Loads a page of the live server, logged in as someone or not; the console's CSP violations."""

    def __init__(self, server: LiveServer, tmp_path):
        self.server, self.tmp_path = server, tmp_path

    def violations(self, path: str, user=None) -> list[str]:
        address = self.server.url + path
        if user is not None:
            start = self.tmp_path / "login.html"
            fields = {"url": self.server.url, "username": user.username, "password": PASSWORD, "next": path}
            start.write_text(LOGIN_AND_GO.format(**{k: escape(v) for k, v in fields.items()}), encoding="utf-8")
            address = start.as_uri()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
        command = [CHROMIUM, *flags, "--virtual-time-budget=1500", "--dump-dom", address]
        ran = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return [line for line in ran.stderr.splitlines() if "CONSOLE" in line and VIOLATION in line]


@pytest.fixture
def live(app):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ""  # the admin's pages are loaded with a password alone
    served = []

    @app.after_request
    def note(response):
        served.append((request.path, response.status_code))
        return response

    server = LiveServer(app)
    server.served = served
    yield server
    server.stop()


@pytest.fixture
def chromium(live, tmp_path):
    return Chromium(live, tmp_path)


def pages(world, make) -> list[tuple[str, object]]:
    """(path, who loads it): a page of each kind: lists, forms, a case with its actions, the statistics'
    chart, the holiday calendar (its styles were inline once), the login page."""
    case = make.order(world.v1)
    row = RejectedRow(source_name="orders.csv", line=2, reason="The order number is missing.")
    db.session.add(row)
    db.session.commit()
    return [
        ("/login", None),
        ("/queue", world.dispatcher),
        (f"/cases/{case.id}", world.dispatcher),
        ("/disputes/new", world.dispatcher),
        (f"/intake/rejected/{row.id}", world.dispatcher),
        ("/runs", world.dispatcher),
        ("/stats/month?month=2026-10", world.leader),
        ("/my", world.cadre1),
        ("/admin/calendar/2026", world.admin),
        (f"/admin/users/{world.cadre1.id}", world.admin),
    ]


@needs_chromium
def test_pages_load_in_chromium_without_a_policy_violation(world, make, live, chromium):
    found = {}
    for path, user in pages(world, make):
        found[path] = chromium.violations(path, user)
        assert (path.split("?")[0], 200) in live.served, f"Chromium was never served {path}: {live.served}"
    assert found == {path: [] for path in found}


@needs_chromium
def test_chromium_reports_an_inline_style_and_script_the_policy_blocks(app, live, chromium):
    """The check above can fail: a page with inline code, served with the app's policy, is reported."""

    @app.route("/test-only-inline")
    def inline():
        return '<p style="color: red">x</p><script>document.title = "ran"</script><a onclick="go()">y</a>'

    found = chromium.violations("/test-only-inline")
    assert ("/test-only-inline", 200) in live.served
    assert any("style-src" in line for line in found), found
    assert any("script-src" in line for line in found), found
