"""What the tests of casework.notify share: the fake channels served and Casework pointed at them, a browser's
push subscription made with real keys (so that a test can decrypt what the push service got), notices."""

import base64
import json
from contextlib import contextmanager

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from casework.demo.fake_channels import FakeChannels, serving, settings_for
from casework.extensions import db
from casework.models import Delivery, PushSubscription
from casework.notices import notify

DINGTALK_SECRET = "SECtest-secret-加签"


@contextmanager
def fake_channels(app, tmp_path, **config):
    """The fakes on a free port, and the app's channels (all four) pointed at them for the test."""
    fakes = FakeChannels(dingtalk_secret=DINGTALK_SECRET, sms_token="test-sms-token")
    with serving(fakes) as base:
        settings = settings_for(base, fakes)
        settings.update(WEBPUSH_ENABLED=True, WEBPUSH_VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid.pem"))
        settings.update(NOTIFY_DEFAULT_CHANNELS=("webpush", "wecom", "dingtalk", "sms"), NOTIFY_TIMEOUT=5)
        app.config.update(settings, **config)
        fakes.base = base
        yield fakes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """A browser's side of a push subscription: its P-256 key pair and auth secret, as pushManager makes them."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = bytes(range(16))
        self.endpoint = endpoint

    def subscription(self) -> dict:
        """The JSON of subscription.toJSON()."""
        point = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def subscribe(self, user) -> PushSubscription:
        keys = self.subscription()["keys"]
        row = PushSubscription(user_id=user.id, endpoint=self.endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
        db.session.add(row)
        db.session.commit()
        return row

    def read(self, body: bytes) -> dict:
        """The payload of an aes128gcm push body, decrypted with this browser's private key."""
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def notice(user, kind="assigned", case=None, actor=None, **data):
    """A notice (and its deliveries) written and committed, as a service's transaction would."""
    written = notify(user, kind, case=case, actor=actor, **data)
    db.session.commit()
    return written


def deliveries(channel: str | None = None) -> list[Delivery]:
    db.session.expire_all()
    query = db.select(Delivery).order_by(Delivery.id)
    if channel:
        query = query.where(Delivery.channel == channel)
    return list(db.session.scalars(query))


def with_phone(user, phone: str = "13900001111"):
    """The user, with a mobile number the robots mention and the gateway texts."""
    user.phone = phone
    db.session.commit()
    return user
