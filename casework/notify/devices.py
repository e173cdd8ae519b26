"""A user's own channels: which of the deployment's channels they take (ChannelChoice), and the browsers they
subscribed to Web Push (PushSubscription). Services: they take the user, flush, and never commit.

A subscription is what the browser's pushManager.subscribe() returned, as JSON: {"endpoint": the push service's
https:// address, "keys": {"p256dh": the browser's P-256 public key, "auth": its 16-byte secret}}, both
base64url. Anything else is refused with a clear message before it is stored: the sender could never use it.
"""

import base64
import binascii
import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select

from ..extensions import db, upsert
from ..models import ChannelChoice, PushSubscription, User, utcnow
from ..notices import chosen_channels, configured_channels
from ..refusals import N_, InvalidInput, NotAllowed
from . import webpush

MAX_DEVICES = 10  # per user; subscribing an eleventh forgets the oldest
ENDPOINT_LIMIT = 1000
NOT_A_SUBSCRIPTION = N_("This is not a push subscription the browser made. Reload the page and try again.")
NOT_YOUR_DEVICE = N_("That device is not among yours: it was removed already.")
NOT_HTTPS = N_("A push service's address must begin with https://.")
NOT_A_PUSH_SERVICE = N_("This address is not a push service's.")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+=*")


def channel_switches(user: User) -> list[tuple[str, bool]]:
    """Each channel the deployment has set up, and whether `user` takes it."""
    taken = set(chosen_channels(user))
    return [(channel, channel in taken) for channel in configured_channels()]


def choose_channels(user: User, chosen: set[str]) -> None:
    """`user` takes the configured channels in `chosen` and none of the others (a choice each, kept)."""
    rows = [{"user_id": user.id, "channel": c, "enabled": c in chosen} for c in configured_channels()]
    if rows:  # one statement: two first saves at once both succeed, the later one's choice kept
        db.session.execute(upsert(ChannelChoice, ["user_id", "channel"], rows, ["enabled"]))


def devices(user: User) -> list[PushSubscription]:
    """The browsers `user` has subscribed, newest first."""
    query = select(PushSubscription).where(PushSubscription.user_id == user.id)
    return list(db.session.scalars(query.order_by(PushSubscription.id.desc())))


def subscribe(user: User, data: object, user_agent: str = "") -> PushSubscription:
    """Keep the browser's subscription for `user` (a browser subscribed again, or by another user of the same
    phone, keeps one row: the endpoint is the browser's). Refused (InvalidInput) unless it is a usable one."""
    endpoint, p256dh, auth = _subscription_fields(data)
    kept = {"user_id": user.id, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:200]}
    row = {"endpoint": endpoint, "created_at": utcnow(), **kept}  # one statement: the same one posted twice at once
    db.session.execute(upsert(PushSubscription, ["endpoint"], [row], list(kept)))
    _keep_newest(user)
    stored = select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    return db.session.scalar(stored.execution_options(populate_existing=True))


def unsubscribe(user: User, endpoint: object) -> bool:
    """Forget `user`'s subscription of that endpoint (the browser unsubscribed); false if there was none."""
    if not isinstance(endpoint, str):
        return False
    mine = (PushSubscription.user_id == user.id) & (PushSubscription.endpoint == endpoint[:ENDPOINT_LIMIT])
    return db.session.execute(delete(PushSubscription).where(mine)).rowcount > 0


def remove_device(user: User, subscription_id: int | None) -> None:
    """Forget one of `user`'s subscribed browsers; refused (NotAllowed) if it is not theirs, or already gone."""
    mine = (PushSubscription.user_id == user.id) & (PushSubscription.id == subscription_id)
    if not subscription_id or db.session.execute(delete(PushSubscription).where(mine)).rowcount == 0:
        raise NotAllowed(NOT_YOUR_DEVICE)


def _keep_newest(user: User) -> None:
    newest = select(PushSubscription.id).where(PushSubscription.user_id == user.id)
    keep = list(db.session.scalars(newest.order_by(PushSubscription.id.desc()).limit(MAX_DEVICES)))
    old = (PushSubscription.user_id == user.id) & PushSubscription.id.not_in(keep)
    db.session.execute(delete(PushSubscription).where(old))


def _subscription_fields(data: object) -> tuple[str, str, str]:
    keys = data.get("keys") if isinstance(data, dict) else None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not isinstance(endpoint, str):
        raise InvalidInput(NOT_A_SUBSCRIPTION)
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    _check_endpoint(endpoint)
    point, secret = _base64url(p256dh, 200), _base64url(auth, 100)
    if point is None or secret is None or len(secret) != 16 or not _is_p256_point(point):
        raise InvalidInput(NOT_A_SUBSCRIPTION)
    return endpoint, p256dh, auth


def _check_endpoint(endpoint: str) -> None:
    if len(endpoint) > ENDPOINT_LIMIT or not endpoint.isprintable() or " " in endpoint:
        raise InvalidInput(NOT_A_SUBSCRIPTION)
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
    except ValueError:
        raise InvalidInput(NOT_A_SUBSCRIPTION) from None
    if not host:
        raise InvalidInput(NOT_A_SUBSCRIPTION)
    if webpush.allowed_endpoint(endpoint):  # only the push services' own hosts: never this machine or the network
        return
    if parts.scheme != "https":
        raise InvalidInput(NOT_HTTPS)
    raise InvalidInput(NOT_A_PUSH_SERVICE)


def _base64url(value: object, limit: int) -> bytes | None:
    if not isinstance(value, str) or len(value) > limit or not BASE64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _is_p256_point(point: bytes) -> bool:
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True
