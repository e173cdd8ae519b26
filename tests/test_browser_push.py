"""Web Push in the browser (issue 11, parts 1 and 5): on the notification settings page, a cadre turns on
notifications in Chromium; push.js registers the service worker, subscribes and posts the subscription, which
lands in push_subscriptions; a case assigned to them is pushed to the local fake push service, encrypted for
that browser; and the worker shows the decrypted message as a notification that opens the case.

Headless Chromium has no push service of its own (Google's FCM: "Registration failed - permission denied"),
so the browser's PushManager is given the subscription a real one would make (tests/notify_support.Browser's
keys, its endpoint at the fake push service); everything else is the browser's, the app's and the worker's own.
"""

import json

from sqlalchemy import select

from casework import workflow
from casework.extensions import db
from casework.models import PushSubscription
from casework.notify.outbox import send_due
from tests.browser import PHONE, log_in, push_to_worker, shown_notifications
from tests.notify_support import Browser, fake_channels

# What pushManager gives back in the page: the subscription a push service would have made.
FAKE_PUSH_MANAGER = """(() => {
  const made = %s;
  let current = null;
  const subscription = {endpoint: made.endpoint, toJSON: () => made, unsubscribe: () => Promise.resolve(true)};
  PushManager.prototype.subscribe = function () { current = subscription; return Promise.resolve(subscription); };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();"""


def _turned_on(world, open_window, live_server, phone):
    window = open_window(PHONE)
    window.page.context.grant_permissions(["notifications"], origin=live_server.url)
    window.page.context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(phone.subscription()))
    log_in(window.page, live_server.url, world.cadre1)
    window.page.goto("/account/notifications")
    with window.page.expect_navigation():  # push.js reloads the page once the subscription is saved
        window.page.click("[data-push='on']")
    return window


def test_turning_on_notifications_saves_the_browsers_subscription(app, world, open_window, live_server, tmp_path):
    with fake_channels(app, tmp_path) as fakes:
        phone = Browser(f"{fakes.base}/push/cadre-phone")
        window = _turned_on(world, open_window, live_server, phone)
        db.session.expire_all()
        saved = db.session.scalars(select(PushSubscription)).all()
        keys = phone.subscription()["keys"]
        assert [(s.user_id, s.endpoint, s.p256dh, s.auth) for s in saved] == [
            (world.cadre1.id, phone.endpoint, keys["p256dh"], keys["auth"])
        ]
        assert window.errors == [] and window.violations() == []


def test_an_assignment_reaches_the_phone_as_a_notification_that_opens_the_case(
    app, world, make, open_window, live_server, tmp_path
):
    with fake_channels(app, tmp_path) as fakes:
        phone = Browser(f"{fakes.base}/push/cadre-phone")
        window = _turned_on(world, open_window, live_server, phone)
        case = make.order(world.v1)
        workflow.assign(case, world.dispatcher, assignee=world.cadre1)
        db.session.commit()
        send_due()
        [pushed] = fakes.of("webpush")
        message = phone.read(pushed.body)  # what the push service carries, as the browser decrypts it
        assert message["url"] == f"/cases/{case.id}"
        push_to_worker(window, message)
        shown = shown_notifications(window)
        expected = {"title": message["title"], "body": message["body"], "tag": f"case-{case.id}"}
        assert shown == [{**expected, "url": f"/cases/{case.id}"}]
        assert case.number in shown[0]["body"]
