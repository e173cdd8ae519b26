"""Races over real HTTP in one's notification settings: two first saves of the channel switches at once (two tabs,
two phones), and the same push subscription posted twice at once (push.js on a page opened twice). Each is one
INSERT … ON CONFLICT: never a unique-key clash (a 500 on PostgreSQL), always one row."""

import json
from urllib.error import HTTPError
from urllib.request import Request

import pytest
from sqlalchemy import delete, func, select

from casework.extensions import db
from casework.models import ChannelChoice, PushSubscription
from casework.notices import chosen_channels
from tests.live import Browser, at_once
from tests.notify_support import Browser as PushBrowser
from tests.notify_support import fake_channels

ROUNDS = 15
PUSH = "https://fcm.googleapis.com/fcm/send/race"


class JsonBrowser(Browser):
    """A browser whose page script posts JSON, as static/push.js does."""

    def post_json(self, path: str, body: dict) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        request = Request(self.base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=60) as answer:
                return answer.status, answer.read().decode()
        except HTTPError as answer:
            return answer.code, answer.read().decode()


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path) as served:
        yield served


def two_browsers(live_server, user) -> tuple[JsonBrowser, JsonBrowser]:
    return tuple(JsonBrowser(live_server.url).log_in(user) for _ in range(2))


def rows(model) -> int:
    found = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()  # no transaction held while the next round's requests write
    return found


def start_afresh(model) -> None:
    db.session.execute(delete(model))
    db.session.commit()


def test_two_first_saves_of_the_channel_switches_at_once_both_succeed_with_one_choice_each(world, fakes, live_server):
    first, second = two_browsers(live_server, world.cadre1)
    for n in range(ROUNDS):
        start_afresh(ChannelChoice)
        answers = at_once(
            lambda: first.post("/account/notifications", {"wecom": "y"}),
            lambda: second.post("/account/notifications", {"wecom": "y", "sms": "y"}),
        )
        assert [status for status, _body in answers] == [302, 302], f"round {n}: {answers}"
        assert rows(ChannelChoice) == 4, f"round {n}"  # a choice for each of the four channels, once
    assert chosen_channels(world.cadre1) in (("wecom",), ("wecom", "sms"))


def test_the_same_subscription_posted_twice_at_once_is_kept_once(world, fakes, live_server):
    first, second = two_browsers(live_server, world.cadre1)
    subscription = PushBrowser(PUSH).subscription()
    for n in range(ROUNDS):
        start_afresh(PushSubscription)
        answers = at_once(
            lambda: first.post_json("/account/push/subscribe", subscription),
            lambda: second.post_json("/account/push/subscribe", subscription),
        )
        assert [status for status, _body in answers] == [201, 201], f"round {n}: {answers}"
        assert rows(PushSubscription) == 1, f"round {n}"
        ids = {json.loads(body)["id"] for _status, body in answers}
        assert ids == {db.session.scalar(select(PushSubscription.id))}, f"round {n}: each told the row kept"
        db.session.commit()
