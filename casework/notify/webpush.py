"""Web Push (pywebpush, VAPID): the key pair generated once into WEBPUSH_VAPID_PRIVATE_KEY_FILE, its public half
served to the browser, and one encrypted (aes128gcm) message per subscribed browser.

The payload, which the service worker (static sw.js) shows, is JSON {"title", "body", "url", "tag"}
(docs/notify.md). A push service that answers 404 or 410 has dropped the subscription: the error says it is gone.
"""

import base64
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from .channel import ChannelError, NoRedirects

TTL_SECONDS = 24 * 3600  # a phone off for the night still gets the message in the morning
GONE = (404, 410)
LOCAL_PUSH = "127.0.0.1"  # the tests' fake push service, over plain HTTP, only in a testing app


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


def allowed_endpoint(endpoint: str) -> bool:
    """Whether the sender may post to `endpoint`: https:// on a host of WEBPUSH_ALLOWED_HOSTS ("fcm.googleapis.com",
    or "*.push.apple.com" for any host under push.apple.com). Only the push services' own hosts: a browser's
    subscription is the user's input, and the sender must never post into the township's network for it.
    A testing app also takes the local fake push service (http://127.0.0.1:<port>/...)."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if current_app.testing and host == LOCAL_PUSH and parts.scheme in ("http", "https"):
        return True
    return parts.scheme == "https" and any(_matches(host, allowed) for allowed in _allowed_hosts())


def _allowed_hosts() -> list[str]:
    hosts = current_app.config.get("WEBPUSH_ALLOWED_HOSTS") or ()
    hosts = hosts.split(",") if isinstance(hosts, str) else hosts
    return [h.strip().lower() for h in hosts if h.strip()]


def _matches(host: str, allowed: str) -> bool:
    if allowed.startswith("*."):
        return host.endswith(allowed[1:]) and len(host) > len(allowed) - 1
    return host == allowed


def host_of(endpoint: str) -> str:
    """The push service's host, which the sender takes as down for the rest of a run after a timeout."""
    try:
        return (urlsplit(endpoint).hostname or "").lower()
    except ValueError:
        return ""


def send(subscription: dict, payload: dict) -> None:
    """Encrypt `payload` for the browser of `subscription` ({"endpoint", "keys": {"p256dh", "auth"}}) and hand it to
    its push service, redirects not followed; ChannelError: gone on 404/410 or an endpoint not allowed, down when
    the service did not answer or answered 5xx/429."""
    config = current_app.config
    if not allowed_endpoint(subscription["endpoint"]):
        raise ChannelError("the address is not an allowed push service's", gone=True)
    try:
        with NoRedirects() as session:
            webpush(
                subscription,
                json.dumps(payload, ensure_ascii=False),
                vapid_private_key=vapid_key(),
                vapid_claims={"sub": config["WEBPUSH_SUBJECT"]},
                timeout=config["NOTIFY_TIMEOUT"],
                ttl=TTL_SECONDS,
                requests_session=session,
            )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if not status:
            raise ChannelError("refused") from None
        raise ChannelError(f"HTTP {status}", gone=status in GONE, down=status >= 500 or status == 429) from None
    except requests.Timeout:
        raise ChannelError("no answer in time", down=True) from None
    except requests.RequestException as exc:
        raise ChannelError(f"connection failed ({type(exc).__name__})", down=True) from None
    except ValueError:  # keys the encryption cannot use: this subscription will never work
        raise ChannelError("the subscription's keys cannot be used", gone=True) from None
