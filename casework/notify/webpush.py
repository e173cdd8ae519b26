"""Web Push (pywebpush, VAPID): the key pair generated once into WEBPUSH_VAPID_PRIVATE_KEY_FILE, its public half
served to the browser, and one encrypted (aes128gcm) message per subscribed browser.

The payload, which the service worker (static sw.js) shows, is JSON {"title", "body", "url", "tag"}
(docs/notify.md). A push service that answers 404 or 410 has dropped the subscription: the error says it is gone.
"""

import base64
import json
import os
from pathlib import Path

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from ..models import PushSubscription
from .channel import ChannelError

TTL_SECONDS = 24 * 3600  # a phone off for the night still gets the message in the morning
GONE = (404, 410)


def vapid_key() -> Vapid:
    """The deployment's VAPID key, generated (mode 0600) the first time it is asked for."""
    path = Path(current_app.config["WEBPUSH_VAPID_PRIVATE_KEY_FILE"])
    if not path.exists():
        _generate(path)
    return Vapid.from_file(str(path))


def _generate(path: Path) -> None:
    key = Vapid()
    key.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: two processes starting at once keep the first one's key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as file:
        file.write(key.private_pem())


def application_server_key() -> str:
    """The public key as the browser's pushManager.subscribe wants it: the uncompressed P-256 point, base64url."""
    point = vapid_key().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def send(subscription: PushSubscription, payload: dict) -> None:
    """Encrypt `payload` for the browser and hand it to its push service; ChannelError (gone on 404/410) if refused."""
    config = current_app.config
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            info,
            json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid_key(),
            vapid_claims={"sub": config["WEBPUSH_SUBJECT"]},
            timeout=config["NOTIFY_TIMEOUT"],
            ttl=TTL_SECONDS,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        raise ChannelError(f"HTTP {status}" if status else "refused", gone=status in GONE) from None
    except requests.Timeout:
        raise ChannelError("no answer in time") from None
    except requests.RequestException as exc:
        raise ChannelError(f"connection failed ({type(exc).__name__})") from None
    except ValueError:  # keys the encryption cannot use: this subscription will never work
        raise ChannelError("the subscription's keys cannot be used", gone=True) from None
