"""Each channel beyond the app over real HTTP to the fake servers (casework.demo.fake_channels): the WeChat Work and
DingTalk robots' documented JSON with the cadre mentioned by mobile number, DingTalk's 加签 checked by the fake
with the documented formula, the SMS contract with its token, and Web Push encrypted for the browser's keys."""

import os
import stat

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models import Delivery, PushSubscription
from casework.notify import webpush
from casework.notify.devices import choose_channels
from casework.notify.outbox import send_due
from tests.notify_support import Browser, deliveries, fake_channels, notice, with_phone


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path) as served:
        yield served


@pytest.fixture
def cadre(world):
    return with_phone(world.cadre1)


def only(channel, fakes):
    [got] = fakes.of(channel)
    return got


def test_wecom_robot_gets_the_documented_text_mentioning_the_cadre(fakes, cadre, make, world):
    case = make.order(world.v1, number="GD2026120500001")
    notice(cadre, "assigned", case=case)
    send_due()
    got = only("wecom", fakes)
    assert got.query == {"key": "demo-key"}
    assert got.json["msgtype"] == "text"
    assert "GD2026120500001" in got.json["text"]["content"]
    assert got.json["text"]["mentioned_mobile_list"] == ["13900001111"]
    assert all(d.status == "sent" and d.sent_at for d in deliveries("wecom"))


def test_dingtalk_robot_signs_and_the_fake_checks_the_signature(fakes, cadre):
    notice(cadre, "intake_failed", time="08:30")
    send_due()
    got = only("dingtalk", fakes)
    assert set(got.query) == {"access_token", "timestamp", "sign"}
    assert got.json["at"]["atMobiles"] == ["13900001111"]
    assert "08:30" in got.json["text"]["content"]


def test_a_wrong_dingtalk_secret_is_refused_by_the_robot_and_kept_for_a_retry(app, fakes, cadre):
    app.config["DINGTALK_SECRET"] = "SECsomething-else"
    notice(cadre, "intake_failed", time="08:30")
    counts = send_due()
    assert not fakes.of("dingtalk") and counts.retrying >= 1
    [delivery] = deliveries("dingtalk")
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("errcode 310000")
    assert "SEC" not in delivery.last_error and "access_token" not in delivery.last_error


def test_sms_gateway_gets_the_contract_with_the_bearer_token(app, fakes, cadre, make, world):
    app.config["SITE_URL"] = "https://casework.example.gov.cn/"
    case = make.order(world.v1)
    notice(cadre, "urged", case=case, actor=world.dispatcher)
    send_due()
    got = only("sms", fakes)
    [delivery] = deliveries("sms")
    assert got.headers["Authorization"] == "Bearer test-sms-token"
    assert got.json == {"to": "13900001111", "text": got.json["text"], "id": str(delivery.id)}
    assert case.number in got.json["text"] and "陈调度" in got.json["text"]
    assert got.json["text"].endswith(f"\nhttps://casework.example.gov.cn/cases/{case.id}")


def test_a_wrong_sms_token_is_a_failed_attempt_that_names_no_secret(app, fakes, cadre):
    app.config["SMS_GATEWAY_TOKEN"] = "stolen"
    notice(cadre, "intake_failed", time="08:30")
    send_due()
    [delivery] = deliveries("sms")
    assert not fakes.of("sms")
    assert delivery.last_error == "HTTP 401" and delivery.status == "pending"


def test_several_notices_to_one_robot_in_one_run_go_as_one_message(fakes, world, make):
    world.cadre1.phone, world.cadre2.phone = "13900001111", "13900002222"
    db.session.commit()
    for user in (world.cadre1, world.cadre2, world.cadre1):
        notice(user, "assigned", case=make.order(world.v1))
    send_due()
    got = only("wecom", fakes)
    assert got.json["text"]["mentioned_mobile_list"] == ["13900001111", "13900002222"]
    assert got.json["text"]["content"].count("GD2026") == 3
    assert [d.status for d in deliveries("wecom")] == ["sent"] * 3
    assert len(fakes.of("sms")) == 2  # one text per number: cadre1's two notices in one


def test_web_push_body_is_encrypted_for_the_browser_and_carries_the_payload(app, fakes, cadre, make, world):
    browser = Browser(f"{fakes.base}/push/phone-1")
    browser.subscribe(cadre)
    case = make.order(world.v1)
    notice(cadre, "assigned", case=case)
    send_due()
    got = only("webpush", fakes)
    assert got.headers["Content-Encoding"] == "aes128gcm"
    assert got.headers["Authorization"].startswith("vapid t=")
    assert case.number.encode() not in got.body  # encrypted on the wire
    payload = browser.read(got.body)
    assert payload["url"] == f"/cases/{case.id}" and payload["tag"] == f"case-{case.id}"
    assert case.number in payload["body"] and payload["title"]
    assert db.session.scalar(select(PushSubscription.last_sent_at)) is not None


def test_a_410_from_the_push_service_deletes_the_subscription(fakes, cadre):
    Browser(f"{fakes.base}/push/gone/old-phone").subscribe(cadre)
    for _ in range(2):
        notice(cadre, "intake_failed", time="08:30")
    send_due()
    assert db.session.scalar(select(PushSubscription)) is None
    pushes = deliveries("webpush")
    assert [d.status for d in pushes] == ["failed", "failed"]
    assert len([r for r in fakes.received if r.channel == "webpush"]) == 1  # the second was not even tried


def test_vapid_key_is_made_once_private_and_served_as_an_application_server_key(app, fakes):
    first = webpush.application_server_key()
    path = app.config["WEBPUSH_VAPID_PRIVATE_KEY_FILE"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert webpush.application_server_key() == first
    assert len(first) == 87 and "=" not in first  # 65 bytes, base64url without padding


def test_a_channel_the_user_turned_off_gets_nothing(fakes, cadre):
    choose_channels(cadre, {"wecom"})
    db.session.commit()
    notice(cadre, "intake_failed", time="08:30")
    send_due()
    assert {d.channel for d in db.session.scalars(select(Delivery))} == {"wecom"}
    assert len(fakes.of("wecom")) == 1 and not fakes.of("sms") and not fakes.of("dingtalk")


def test_a_push_about_no_case_leads_to_the_list_of_notices(fakes, cadre):
    browser = Browser(f"{fakes.base}/push/phone-2")
    browser.subscribe(cadre)
    written = notice(cadre, "intake_failed", time="08:30")
    send_due()
    payload = browser.read(only("webpush", fakes).body)
    assert payload["url"] == "/notifications" and payload["tag"] == f"notice-{written.id}"
