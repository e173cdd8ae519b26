"""An SMS gateway behind Casework's one contract (docs/notify.md), so that a county can put its provider behind it:
POST SMS_GATEWAY_URL, `Authorization: Bearer SMS_GATEWAY_TOKEN`, JSON {"to", "text", "id"}; any 2xx is accepted.
`id` is the idempotency key: the same deliveries are sent under the same id, which the gateway sends once.
"""

from flask import current_app

from .channel import ChannelError, post_json

# A text is paid by the segment (67 characters of Chinese in a long message): a few notices, five segments at most.
TEXT_CHARS = 335
NOTICES = 3


def fits(text: str) -> bool:
    """Whether `text` is a message the sender may hand to the gateway (a longer one would cost more segments)."""
    return len(text) <= TEXT_CHARS


def send(to: str, text: str, key: str) -> None:
    """Hand `text` for the mobile number `to` to the gateway; ChannelError unless it answers 2xx."""
    config = current_app.config
    headers = {"Authorization": f"Bearer {config.get('SMS_GATEWAY_TOKEN') or ''}"}
    response = post_json(config["SMS_GATEWAY_URL"], {"to": to, "text": text, "id": key}, headers=headers)
    if not 200 <= response.status_code < 300:
        raise ChannelError.of_status(response.status_code)
