"""The DingTalk (钉钉) group robot: its webhook's documented text message, mentioning by mobile number, signed
when the robot has a secret (加签).

https://open.dingtalk.com/document/robots/custom-robot-access -- {"msgtype": "text", "text": {"content": ...},
"at": {"atMobiles": [...]}}; with a secret, the query carries `timestamp` (ms) and `sign`, the base64 of
HMAC-SHA256 over "{timestamp}\\n{secret}" keyed by the secret. The answer {"errcode": 0} is success. A message is
at most 20000 bytes (and a robot takes 20 messages a minute): the content is kept to 18000, leaving room for the
rest of the JSON and the mobile numbers mentioned.
"""

import base64
import hashlib
import hmac
import time

from flask import current_app

from .channel import post_json, robot_answer

CONTENT_BYTES = 18000
NOTICES = 10  # at most in one post


def fits(text: str) -> bool:
    """Whether `text` is a post the robot takes whole (the sender never sends one that is not)."""
    return len(text.encode()) <= CONTENT_BYTES


def signature(secret: str, timestamp: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")); requests url-encodes it."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send(text: str, mobiles: list[str]) -> None:
    """Post `text` to the township's group, mentioning `mobiles`; ChannelError when the robot refuses it."""
    config = current_app.config
    body = {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": mobiles, "isAtAll": False}}
    params = None
    if config.get("DINGTALK_SECRET"):
        timestamp = int(time.time() * 1000)
        params = {"timestamp": timestamp, "sign": signature(config["DINGTALK_SECRET"], timestamp)}
    robot_answer(post_json(config["DINGTALK_WEBHOOK_URL"], body, params=params))
