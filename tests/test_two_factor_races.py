"""Two logins racing with the same second-factor code over real HTTP: the code opens one of them only.
When one user's attempts did not take turns (the throttle's hold, the user's row held while the code is
checked), both read "not used yet" and both got in: [302, 302] on PostgreSQL in the first round."""

from functools import partial

import pytest

from tests.helpers import enrolled
from tests.live import LiveServer, at_once

ROUNDS = 8  # the code of now once, then recovery codes (each a new race for the same one-time code)
USED = "used already"


@pytest.fixture
def live(app):
    app.config["LOGIN_MAX_FAILURES"] = 1000  # the losers' failures must not lock the account mid-test
    server = LiveServer(app)
    yield server
    server.stop()


def pending_browser(live, user):
    """A browser whose password was right: at the code step."""
    browser = live.browser()
    status, _ = browser.post("/login", {"username": user.username, "password": "secret-pw"})
    assert status == 302
    return browser


def test_one_code_sent_by_two_logins_at_once_opens_one(world, live):
    totp, recovery = enrolled(world.cadre1)
    codes = [totp.now(), *recovery[: ROUNDS - 1]]
    for n, code in enumerate(codes):
        first, second = pending_browser(live, world.cadre1), pending_browser(live, world.cadre1)
        answers = at_once(*(partial(b.post, "/login/code", {"code": code}) for b in (first, second)))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [302, 401], f"round {n} ({code}): {statuses}"
