"""The WeChat Work (企业微信) group robot: its webhook's documented text message, mentioning by mobile number.

https://developer.work.weixin.qq.com/document/path/91770 -- {"msgtype": "text", "text": {"content": ...,
"mentioned_mobile_list": [...]}}; the answer {"errcode": 0} is success. Text content is at most 2048 bytes.
"""

from flask import current_app

from .channel import post_json, robot_answer

CONTENT_BYTES = 2048
NOTICES = 10  # at most in one post


def fits(text: str) -> bool:
    """Whether `text` is a post the robot takes whole (the sender never sends one that is not)."""
    return len(text.encode()) <= CONTENT_BYTES


def send(text: str, mobiles: list[str]) -> None:
    """Post `text` to the township's group, mentioning `mobiles`; ChannelError when the robot refuses it."""
    body = {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
    robot_answer(post_json(current_app.config["WECOM_WEBHOOK_URL"], body))
