"""Fake channels for demos and tests, over real HTTP: the WeChat Work and DingTalk group robots, the SMS gateway of
docs/notify.md and a Web Push service, on one port, recording everything they got.

    python -m casework.demo.fake_channels --port 5098

then run Casework with (the lines it prints) CASEWORK_WECOM_WEBHOOK_URL, CASEWORK_DINGTALK_WEBHOOK_URL,
CASEWORK_DINGTALK_SECRET, CASEWORK_SMS_GATEWAY_URL and CASEWORK_SMS_GATEWAY_TOKEN. GET / lists what arrived.
A push subscription whose endpoint is http://127.0.0.1:<port>/push/<name> is served here (201); under
/push/gone/ the service answers 410, as for an expired subscription. Told to fail the next N requests
(from Python, or POST /_control {"fail_next": N, "status": 500}; status 200 fails a robot by its errcode).
From Python too: hold the next N requests until released (a sender caught mid-send), or answer slowly (delay).
POST /moved and /push/moved/<name> answer 307 to /internal, which stands for an address inside the township's
network that a sender must never be led to: whatever reaches it is recorded as channel "internal".
"""

import argparse
import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from .fake_platform import serving  # noqa: F401 - serves these fakes too: FakeChannels(...) in serving(...)

SIGN_WINDOW_MS = 60 * 60 * 1000  # DingTalk refuses a timestamp more than an hour off


@dataclass
class Received:
    """One request that reached a fake channel."""

    channel: str  # wecom, dingtalk, sms, webpush
    path: str
    query: dict
    headers: dict
    body: bytes
    json: object = None
    accepted: bool = False  # answered 2xx (and errcode 0, for a robot), not failed on purpose


@dataclass
class FakeChannels:
    """The fakes' state: what arrived, the secrets they check, and the failure switch."""

    dingtalk_secret: str = ""
    sms_token: str = "demo-sms-token"
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # so many requests (of any channel) fail, then all succeed again
    fail_status: int = 500  # how they fail: this HTTP status (200: a robot's errcode instead)
    delay: float = 0.0  # seconds every request waits before it is answered
    _gates: list[threading.Event] = field(default_factory=list)  # the next requests wait, each for its own gate
    _arrived: int = 0  # requests that reached their gate
    _arrival: threading.Condition = field(default_factory=threading.Condition)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)  # what fake_platform.serving sets at the end

    def of(self, channel: str) -> list[Received]:
        """What reached `channel` and was accepted, in arrival order."""
        return [r for r in self.received if r.channel == channel and r.accepted]

    def failing(self, n: int, status: int = 500) -> None:
        with self._lock:
            self.fail_next, self.fail_status = n, status

    def hold(self, n: int = 1) -> None:
        """The next `n` requests are held (after their failure, if any, is decided), each until release(its number)."""
        with self._arrival:
            self._gates, self._arrived = [threading.Event() for _ in range(n)], 0

    def held(self, count: int = 1, timeout: float = 10) -> bool:
        """Wait until `count` requests are being held (or were)."""
        with self._arrival:
            return self._arrival.wait_for(lambda: self._arrived >= count, timeout)

    def release(self, number: int | None = None) -> None:
        """Let the held request `number` (0: the first held) be answered; all of them when None."""
        for gate in self._gates if number is None else [self._gates[number]]:
            gate.set()

    def _hold_here(self) -> None:
        with self._arrival:
            gate = self._gates[self._arrived] if self._arrived < len(self._gates) else None
            self._arrived += 1 if gate else 0
            self._arrival.notify_all()
        if gate:
            gate.wait(timeout=30)

    def app(self) -> Flask:
        app = Flask(__name__)
        for rule, channel, handle in (
            ("/wecom/send", "wecom", self._robot),
            ("/dingtalk/robot/send", "dingtalk", self._dingtalk),
            ("/sms", "sms", self._sms),
            ("/push/<path:name>", "webpush", self._push),
            ("/moved", "moved", self._moved),
            ("/internal", "internal", self._internal),
        ):
            app.add_url_rule(rule, channel, self._answering(channel, handle), methods=["POST"])
        app.get("/")(self._overview)
        app.post("/_control")(self._control)
        return app

    def _answering(self, channel: str, handle):
        return lambda **_path: self._answer(channel, handle)

    def _answer(self, channel: str, handle):
        seen = Received(channel, request.path, request.args.to_dict(), dict(request.headers), request.get_data(), None)
        seen.json = request.get_json(silent=True)
        with self._lock:
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
        self._hold_here()
        time.sleep(self.delay)
        body, status, *headers = self._failure(channel) if failing else handle(seen)
        seen.accepted = not failing and 200 <= status < 300 and body.get("errcode", 0) == 0
        with self._lock:
            self.received.append(seen)
        return jsonify(body), status, *headers

    def _failure(self, channel: str):
        if self.fail_status == 200 and channel in ("wecom", "dingtalk"):
            return {"errcode": 45009, "errmsg": "api freq out of limit"}, 200
        return {"error": "failing on purpose"}, self.fail_status

    def _robot(self, seen: Received):
        message = seen.json if isinstance(seen.json, dict) else {}
        if message.get("msgtype") not in ("text", "markdown") or message.get(message.get("msgtype")) is None:
            return {"errcode": 40008, "errmsg": "invalid message type"}, 200
        return {"errcode": 0, "errmsg": "ok"}, 200

    def _dingtalk(self, seen: Received):
        if self.dingtalk_secret and not _signed(self.dingtalk_secret, seen.query):
            return {"errcode": 310000, "errmsg": "sign not match"}, 200
        return self._robot(seen)

    def _sms(self, seen: Received):
        if seen.headers.get("Authorization") != f"Bearer {self.sms_token}":
            return {"error": "bad token"}, 401
        message = seen.json if isinstance(seen.json, dict) else {}
        if not all(isinstance(message.get(k), str) and message.get(k) for k in ("to", "text", "id")):
            return {"error": "to, text and id are required"}, 422
        return {"accepted": True, "id": message["id"]}, 200

    def _push(self, seen: Received):
        if seen.path.startswith("/push/gone/"):
            return {"error": "subscription expired"}, 410
        if seen.path.startswith("/push/moved/"):
            return self._moved(seen)
        if seen.headers.get("Content-Encoding") != "aes128gcm" or not seen.body:
            return {"error": "aes128gcm body expected"}, 400
        return {}, 201

    def _moved(self, seen: Received):
        return {"moved": "/internal"}, 307, {"Location": f"{request.host_url}internal"}

    def _internal(self, seen: Received):
        return {"errcode": 0, "errmsg": "ok"}, 200

    def _overview(self):
        return jsonify(
            [{"channel": r.channel, "path": r.path, "json": r.json, "accepted": r.accepted} for r in self.received]
        )

    def _control(self):
        asked = request.get_json(silent=True) or {}
        self.failing(int(asked.get("fail_next", 0)), int(asked.get("status", 500)))
        return jsonify(fail_next=self.fail_next, status=self.fail_status)


def _signed(secret: str, query: dict) -> bool:
    """DingTalk's check of 加签: sign == base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), timestamp recent."""
    try:
        timestamp = int(query.get("timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() * 1000 - timestamp) > SIGN_WINDOW_MS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(expected).decode(), query.get("sign", ""))


def settings_for(base: str, fakes: FakeChannels) -> dict[str, str]:
    """Casework's settings (without CASEWORK_) that point every channel at the fakes served at `base`."""
    return {
        "WECOM_WEBHOOK_URL": f"{base}/wecom/send?key=demo-key",
        "DINGTALK_WEBHOOK_URL": f"{base}/dingtalk/robot/send?access_token=demo-token",
        "DINGTALK_SECRET": fakes.dingtalk_secret,
        "SMS_GATEWAY_URL": f"{base}/sms",
        "SMS_GATEWAY_TOKEN": fakes.sms_token,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake WeChat Work and DingTalk robots, SMS gateway and push service.")
    parser.add_argument("--port", type=int, default=5098)
    parser.add_argument("--dingtalk-secret", default="SECdemo-secret")
    parser.add_argument("--sms-token", default="demo-sms-token")
    args = parser.parse_args(argv)
    fakes = FakeChannels(dingtalk_secret=args.dingtalk_secret, sms_token=args.sms_token)
    base = f"http://127.0.0.1:{args.port}"
    print(f"Fake channels on {base}/  (Ctrl-C stops them)")
    for name, value in settings_for(base, fakes).items():
        print(f"  CASEWORK_{name}={value}")
    make_server("127.0.0.1", args.port, fakes.app(), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
