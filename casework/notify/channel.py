"""What every channel shares: one JSON POST with the deployment's timeout, and the error a channel raises.

A ChannelError's reason is stored on the delivery and shown to administrators, so it is short and never
carries a secret: no webhook address (its key is in the query), no token, no response body beyond a
robot's own error message.
"""

import requests
from flask import current_app

REASON_LIMIT = 200


DOWN_STATUSES = (401, 403, 404, 408, 429)  # and every 5xx: the service, not this message, is the trouble


class NoRedirects(requests.Session):
    """A session that never follows a redirect: a 3xx is the answer (a 307 or 308 would carry the message, and a
    push subscription's choice of host, somewhere else, into the township's own network say)."""

    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


class ChannelError(Exception):
    """The channel did not take the message. `gone`: the target no longer exists (an expired push
    subscription), so retrying is pointless. `down`: the service itself cannot take messages now (no answer,
    a 5xx, a wrong token), so the sender leaves its other messages for the next run."""

    def __init__(self, reason: str, *, gone: bool = False, down: bool = False):
        super().__init__(reason[:REASON_LIMIT])
        self.reason = reason[:REASON_LIMIT]
        self.gone = gone
        self.down = down

    @classmethod
    def of_status(cls, status: int) -> "ChannelError":
        return cls(f"HTTP {status}", down=status >= 500 or status in DOWN_STATUSES)


def post_json(url: str, body: dict, *, headers: dict | None = None, params: dict | None = None):
    """POST `body` as JSON, redirects not followed; the answer (any status) or ChannelError when no answer came."""
    timeout = current_app.config["NOTIFY_TIMEOUT"]
    try:
        with NoRedirects() as session:
            return session.post(url, json=body, headers=headers, params=params, timeout=timeout)
    except requests.Timeout:
        raise ChannelError(f"no answer within {timeout:g} s", down=True) from None
    except requests.RequestException as exc:
        raise ChannelError(f"connection failed ({type(exc).__name__})", down=True) from None


def robot_answer(response) -> None:
    """A group robot's answer: HTTP 200 with {"errcode": 0} is success; anything else is a ChannelError."""
    if response.status_code != 200:
        raise ChannelError.of_status(response.status_code)
    try:
        answer = response.json()
    except ValueError:
        raise ChannelError("the answer is not JSON") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        message = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
        raise ChannelError(f"errcode {code}: {message}")
