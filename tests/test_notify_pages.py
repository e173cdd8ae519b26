"""The notification pages: one's channel switches (kept as ChannelChoice, honoured by notify), the endpoint a browser
posts its push subscription to (junk refused with a 4xx, never stored), one's devices, and the administrators'
page of deliveries that did not go, with retry and dismiss."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from casework.extensions import db
from casework.models import ChannelChoice, Delivery, PushSubscription
from casework.notices import chosen_channels
from casework.notify.outbox import send_due
from casework.text import clean
from tests.helpers import login_as
from tests.notify_support import Browser, deliveries, fake_channels, notice, with_phone
from tests.web_attack import HOSTILE

PUSH = "https://fcm.googleapis.com/fcm/send/abc"


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path, NOTIFY_DEFAULT_CHANNELS=("webpush", "wecom"), NOTIFY_MAX_ATTEMPTS=1) as served:
        yield served


def post_json(client, url, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


def subscriptions() -> int:
    return db.session.scalar(select(func.count()).select_from(PushSubscription))


def test_the_settings_page_offers_the_configured_channels_and_keeps_the_choice(client, fakes, world, english):
    login_as(client, world.cadre1)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert '<input checked id="wecom"' in page and '<input id="sms"' in page  # the defaults: wecom on, SMS off
    assert 'id="push-device"' in page and "data-key=" in page
    answer = client.post("/account/notifications", data={"webpush": "y", "sms": "y"})
    assert answer.status_code == 302
    assert chosen_channels(world.cadre1) == ("webpush", "sms")
    assert db.session.get(ChannelChoice, (world.cadre1.id, "wecom")).enabled is False


def test_without_configured_channels_the_page_says_so(app, client, world, english):
    app.config.update(WEBPUSH_ENABLED=False, WECOM_WEBHOOK_URL=None, DINGTALK_WEBHOOK_URL=None, SMS_GATEWAY_URL=None)
    login_as(client, world.cadre1)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "No channel beyond the app is set up here yet." in page and "push-device" not in page


def test_a_browser_subscribes_and_subscribing_again_keeps_one_row(client, fakes, world):
    browser = Browser(PUSH)
    login_as(client, world.cadre1)
    assert post_json(client, "/account/push/subscribe", browser.subscription()).status_code == 201
    login_as(client, world.cadre2)  # the same phone, another user: the device is now theirs
    assert post_json(client, "/account/push/subscribe", browser.subscription()).status_code == 201
    row = db.session.scalar(select(PushSubscription))
    assert subscriptions() == 1 and row.user_id == world.cadre2.id


def test_the_browser_unsubscribes_and_a_device_is_removed_only_by_its_user(client, fakes, world, english):
    login_as(client, world.cadre1)
    post_json(client, "/account/push/subscribe", Browser(PUSH).subscription())
    other = Browser(PUSH + "2").subscribe(world.cadre2)
    refused = client.post(f"/account/push/{other.id}/remove", follow_redirects=True)
    assert "That device is not among yours" in refused.get_data(as_text=True)
    assert post_json(client, "/account/push/unsubscribe", {"endpoint": PUSH}).status_code == 204
    assert subscriptions() == 1
    login_as(client, world.cadre2)
    assert client.post(f"/account/push/{other.id}/remove").status_code == 302
    assert subscriptions() == 0


@pytest.mark.parametrize(
    "change, status",
    [
        (lambda s: s | {"endpoint": "http://push.example.net/x"}, 422),
        (lambda s: s | {"endpoint": "javascript:alert(1)"}, 422),
        (lambda s: s | {"endpoint": "https://10.0.0.5/push"}, 422),
        (lambda s: s | {"endpoint": "https://localhost:5000/admin"}, 422),
        (lambda s: s | {"endpoint": "https://[::1]/x"}, 422),
        (lambda s: s | {"endpoint": "https://" + "a" * 1000}, 422),
        (lambda s: s | {"keys": {"p256dh": s["keys"]["p256dh"], "auth": "c2hvcnQ"}}, 422),
        (lambda s: s | {"keys": {"p256dh": "BAAA" + s["keys"]["p256dh"][4:], "auth": s["keys"]["auth"]}}, 422),
        (lambda s: [s], 422),
        (lambda s: b"\xff\xfe not json", 400),
        (lambda s: json.dumps(s) + " " * 5000, 413),
    ],
)
def test_the_subscription_endpoint_refuses_what_is_no_subscription(client, fakes, world, change, status):
    login_as(client, world.cadre1)
    answer = post_json(client, "/account/push/subscribe", change(Browser(PUSH).subscription()))
    assert answer.status_code == status and answer.get_json()["error"]
    assert subscriptions() == 0


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["endpoint", "keys", "p256dh", "auth", "x"]), inner, max_size=4),
    max_leaves=12,
)


@given(body=junk)
def test_any_json_that_is_no_subscription_is_a_4xx_and_stores_nothing(client, fakes, world, body):
    login_as(client, world.cadre1)
    answer = post_json(client, "/account/push/subscribe", body)
    assert 400 <= answer.status_code < 500
    assert subscriptions() == 0


def test_strangers_cannot_subscribe(client, fakes):
    answer = post_json(client, "/account/push/subscribe", Browser(PUSH).subscription())
    assert answer.status_code == 401 and subscriptions() == 0


def test_admins_see_failed_deliveries_and_retry_sends_them(client, fakes, world, english):
    with_phone(world.cadre1)
    notice(world.cadre1, "intake_failed", time="08:30")
    fakes.failing(1)
    send_due()
    [failed] = deliveries("wecom")
    assert failed.status == "failed"
    login_as(client, world.admin)
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "HTTP 500" in page and world.cadre1.name in page and "Failed for good: 1." in page
    assert client.post(f"/admin/deliveries/{failed.id}/retry").status_code == 302
    assert deliveries("wecom")[0].status == "pending"
    send_due()
    assert deliveries("wecom")[0].status == "sent" and len(fakes.of("wecom")) == 1
    assert "Every notification has been delivered." in client.get("/admin/deliveries").get_data(as_text=True)


def test_admins_dismiss_a_failed_delivery_and_others_may_not(client, fakes, world):
    notice(world.cadre1, "intake_failed", time="08:30")
    fakes.failing(1)
    send_due()
    [failed] = deliveries("wecom")
    login_as(client, world.dispatcher)
    assert client.get("/admin/deliveries").status_code == 403
    assert client.post(f"/admin/deliveries/{failed.id}/dismiss").status_code == 403
    login_as(client, world.admin)
    assert client.post(f"/admin/deliveries/{failed.id}/dismiss").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_the_page_gives_push_js_the_csrf_token_the_endpoint_requires(app, client, fakes, world):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(client, world.cadre1)
    page = client.get("/account/notifications").get_data(as_text=True)
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    body = json.dumps(Browser(PUSH).subscription())
    refused = client.post("/account/push/subscribe", data=body, content_type="application/json")
    assert refused.status_code == 400 and subscriptions() == 0
    headers = {"X-CSRFToken": token}
    answer = client.post("/account/push/subscribe", data=body, content_type="application/json", headers=headers)
    assert answer.status_code == 201 and subscriptions() == 1


def test_a_local_push_service_is_for_tests_only(app, client, fakes, world):
    app.testing = False
    login_as(client, world.cadre1)
    answer = post_json(client, "/account/push/subscribe", Browser("http://127.0.0.1:9/push/x").subscription())
    assert answer.status_code == 422 and subscriptions() == 0


def test_retry_all_failed_sends_every_failed_delivery_again(client, fakes, world, english):
    for user in (world.cadre1, world.cadre2):
        notice(user, "intake_failed", time="08:30")
    fakes.failing(1)  # the two go as one robot post, which fails
    send_due()
    login_as(client, world.admin)
    answer = client.post("/admin/deliveries/retry-failed", follow_redirects=True)
    assert "2 notifications will be sent again shortly." in answer.get_data(as_text=True)
    send_due()
    assert [d.status for d in deliveries("wecom")] == ["sent", "sent"]
    again = client.post("/admin/deliveries/retry-failed", follow_redirects=True).get_data(as_text=True)
    assert "no longer waiting" in again


def as_a_header(text: str) -> str:
    """`text` as a server hands a User-Agent header to the app: its bytes read as Latin-1 (WSGI), no line break."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1").replace("\r", "").replace("\n", "")


@given(agent=HOSTILE.map(as_a_header))
def test_a_subscription_from_a_browser_of_any_name_is_kept_with_the_name_cleaned(client, fakes, world, agent):
    login_as(client, world.cadre1)
    answer = client.post(
        "/account/push/subscribe",
        data=json.dumps(Browser(PUSH).subscription()),
        content_type="application/json",
        headers={"User-Agent": agent},
    )
    assert answer.status_code == 201
    stored = db.session.scalar(select(PushSubscription.user_agent))
    db.session.commit()
    assert stored == clean(agent)[:200] and "\x00" not in stored
