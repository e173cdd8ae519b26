"""The sender posts only where it should: a browser's subscription is taken only for the push services' own hosts
(WEBPUSH_ALLOWED_HOSTS), checked again when sending; no channel follows a redirect, so neither a push service nor
a robot's or gateway's address can lead the sender into the township's own network (the fakes' /internal)."""

import json

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.models import PushSubscription
from casework.notify.outbox import send_due
from tests.helpers import login_as
from tests.notify_support import Browser, deliveries, fake_channels, notice, with_phone


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path, NOTIFY_DEFAULT_CHANNELS=("webpush",)) as served:
        yield served


def subscribe(client, endpoint: str):
    body = json.dumps(Browser(endpoint).subscription())
    return client.post("/account/push/subscribe", data=body, content_type="application/json")


def subscriptions() -> int:
    return db.session.scalar(select(func.count()).select_from(PushSubscription))


def internal(fakes) -> list:
    return [r for r in fakes.received if r.channel == "internal"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bH",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAB",
    ],
)
def test_the_push_services_of_the_browsers_are_taken(client, fakes, world, endpoint):
    login_as(client, world.cadre1)
    assert subscribe(client, endpoint).status_code == 201 and subscriptions() == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://push.example.net/send/abc",
        "https://fcm.googleapis.com.attacker.example/x",
        "https://evilpush.apple.com/x",
        "https://intranet.township.gov.cn/admin",
        "https://fcm.googleapis.com@10.0.0.5/x",
        "http://fcm.googleapis.com/fcm/send/x",
        "https://127.0.0.2/push/x",
    ],
)
def test_any_other_address_is_refused_at_subscribe(client, fakes, world, endpoint):
    login_as(client, world.cadre1)
    assert subscribe(client, endpoint).status_code == 422 and subscriptions() == 0


def test_an_operator_may_add_a_vendors_push_service(app, client, fakes, world):
    app.config["WEBPUSH_ALLOWED_HOSTS"] = (*app.config["WEBPUSH_ALLOWED_HOSTS"], "*.push.vendor.example.cn")
    login_as(client, world.cadre1)
    assert subscribe(client, "https://cn1.push.vendor.example.cn/p/abc").status_code == 201
    assert subscribe(client, "https://push.vendor.example.cn.evil.example/p").status_code == 422


def test_a_subscription_stored_before_the_hosts_were_narrowed_is_not_posted_to(app, fakes, world):
    port = fakes.base.rsplit(":", 1)[1]
    Browser(f"http://localhost:{port}/push/phone").subscribe(world.cadre1)  # localhost: 127.0.0.1 by name
    notice(world.cadre1, "intake_failed", time="08:30")
    counts = send_due()
    assert not fakes.received and counts.failed == 1
    assert [d.status for d in deliveries("webpush")] == ["failed"] and subscriptions() == 0


def test_a_push_service_redirecting_elsewhere_is_not_followed(fakes, world):
    Browser(f"{fakes.base}/push/moved/phone").subscribe(world.cadre1)
    notice(world.cadre1, "intake_failed", time="08:30")
    counts = send_due()
    assert counts.retrying == 1 and not internal(fakes)
    [push] = deliveries("webpush")
    assert push.status == "pending" and push.last_error == "HTTP 307"


@pytest.mark.parametrize("channel, setting", [("wecom", "WECOM_WEBHOOK_URL"), ("sms", "SMS_GATEWAY_URL")])
def test_a_robot_or_gateway_redirecting_elsewhere_is_not_followed(app, fakes, world, channel, setting):
    app.config.update({"NOTIFY_DEFAULT_CHANNELS": (channel,), setting: f"{fakes.base}/moved"})
    notice(with_phone(world.cadre1), "intake_failed", time="08:30")
    counts = send_due()
    assert counts.retrying == 1 and not internal(fakes)
    [delivery] = deliveries(channel)
    assert delivery.status == "pending" and delivery.last_error == "HTTP 307"
