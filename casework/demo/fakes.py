"""The demo's fakes in one process, for `make run`: the 12345 platform (fake_platform.py) under /platform, the
group robots, the SMS gateway and a push service (fake_channels.py) under /channels, and at / a page (Chinese,
plain HTML) of what they received, newest first: the platform's replies with their photos, the robots' and the
gateway's messages.

    python -m casework.demo.fakes --port 5001            # serve them
    python -m casework.demo.fakes --port 5001 --settings # once they answer: shell lines pointing Casework there

--settings waits (up to WAIT seconds) until these fakes answer on the port, and fails if something else answers
there or nothing does; its lines set each address with its token only where the operator has set none.
"""

import argparse
import shlex
import sys
import threading
import time
from urllib.request import urlopen

from flask import Flask, abort, render_template_string
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from .fake_channels import FakeChannels, Received, settings_for
from .fake_platform import FakePlatform, generate_tickets

DINGTALK_SECRET = "SECdemo-secret"
MARK = "X-Casework-Demo-Fakes"  # the page's header that tells these fakes from whatever else holds a port
WAIT = 30.0
CHANNEL_NAMES = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人", "sms": "短信网关", "webpush": "网页推送服务"}


class Fakes:
    """The fake platform and the fake channels, served together (a `serving(...)` of fake_platform takes it)."""

    def __init__(self, tickets: int = 12, seed: int | None = None):
        self.platform = FakePlatform(generate_tickets(tickets, seed=seed) if tickets else [])
        self.channels = FakeChannels(dingtalk_secret=DINGTALK_SECRET)
        self._release = threading.Event()  # what serving() sets at the end, passed on to the platform's slow answers
        self.platform._release = self._release

    def app(self):
        page = Flask(__name__)
        page.get("/")(self._overview)
        page.get("/photos/<sha256>")(self._photo)
        return DispatcherMiddleware(page, {"/platform": self.platform.app(), "/channels": self.channels.app()})

    def settings(self, base: str) -> dict[str, str]:
        """Casework's settings (without CASEWORK_) that point the feed and every channel at these fakes."""
        platform = {"FEED_URL": f"{base}/platform", "FEED_TOKEN": self.platform.token}
        return platform | settings_for(f"{base}/channels", self.channels)

    # --- the page ----------------------------------------------------------------------------------

    def _overview(self):
        replies = [
            _reply_row(post, self.platform.images.get(post["order_no"], [])) for post in self.platform.reply_posts
        ]
        messages = [_message_row(r) for r in self.channels.received]
        return render_template_string(
            PAGE,
            tickets=len(self.platform.tickets),
            fetched=self.platform.ticket_requests,
            replies=replies[::-1],
            messages=messages[::-1],
        ), {MARK: "1"}

    def _photo(self, sha256: str):
        for images in list(self.platform.images.values()):
            for image in images:
                if image["sha256"] == sha256:
                    return image["data"], 200, {"Content-Type": image["media_type"]}
        abort(404)


def _reply_row(post: dict, images: list[dict]) -> dict:
    """A reply as the page lists it: its photos those of the order's latest reply that this post named."""
    named = set(post.get("images") or ())
    return post | {"photos": [i for i in images if i["sha256"] in named]}


def _message_row(received: Received) -> dict:
    """What a robot, the gateway or the push service got: its words and whom it mentions, or what it was."""
    body = received.json if isinstance(received.json, dict) else {}
    kind = body.get("msgtype")
    words = body.get(kind) if kind in ("text", "markdown") else None
    words = words if isinstance(words, dict) else {}
    if received.channel == "sms":
        text, to = body.get("text"), [body.get("to")]
    elif received.channel == "webpush":
        text, to = f"（加密的推送，{len(received.body)} 字节）", [received.path.rsplit("/", 1)[-1]]
    else:
        text = words.get("content") or words.get("text")
        to = words.get("mentioned_mobile_list") or (body.get("at") or {}).get("atMobiles") or []
    return {
        "channel": CHANNEL_NAMES.get(received.channel, received.channel),
        "text": text if isinstance(text, str) else str(body or received.body[:200]),
        "to": "、".join(str(m) for m in to if m),
        "accepted": received.accepted,
    }


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>演示：模拟12345平台与通知渠道</title>
<style>
body{font-family:sans-serif;margin:1rem;max-width:70rem}table{border-collapse:collapse;width:100%}
td:nth-child(2){width:50%}
td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left}
figure{display:inline-block;margin:0 .5rem .5rem 0}figcaption{font:.7rem monospace;word-break:break-all;width:160px}
.refused{color:#a00}pre{white-space:pre-wrap;margin:0;font-family:inherit}
</style></head><body>
<h1>演示：模拟12345平台与通知渠道</h1>
<p>这是 <code>make run</code> 一同启动的模拟服务，只用于演示，刷新本页查看最新收到的内容。
平台上有 {{ tickets }} 条工单，已被拉取 {{ fetched }} 次。</p>
<h2>12345平台收到的办理回复（{{ replies|length }}）</h2>
{% if replies %}<table>
<tr><th>工单编号</th><th>办理结果</th><th>办理人</th><th>办结时间</th><th>现场照片（SHA-256）</th></tr>
{% for r in replies %}<tr><td>{{ r.order_no }}</td><td><pre>{{ r.result }}</pre></td><td>{{ r.handler or "" }}</td>
<td>{{ r.resolved_at }}</td><td>{% for p in r.photos %}<figure><a href="photos/{{ p.sha256 }}">
<img src="photos/{{ p.sha256 }}" width="160" alt="{{ r.order_no }} 的现场照片"></a>
<figcaption>{{ p.sha256 }}</figcaption></figure>{% else %}无{% endfor %}</td></tr>
{% endfor %}</table>{% else %}<p>还没有收到回复：工单办结后，回复在下一次接收工单时发给平台。</p>{% endif %}
<h2>群机器人、短信网关收到的消息（{{ messages|length }}）</h2>
{% if messages %}<table><tr><th>渠道</th><th>内容</th><th>提醒的手机号</th><th>结果</th></tr>
{% for m in messages %}<tr><td>{{ m.channel }}</td><td><pre>{{ m.text }}</pre></td><td>{{ m.to }}</td>
<td{% if not m.accepted %} class="refused"{% endif %}>{{ "已接收" if m.accepted else "已拒收" }}</td></tr>
{% endfor %}</table>{% else %}<p>还没有收到消息：通知每分钟发送一次。</p>{% endif %}
</body></html>
"""


def settings_lines(settings: dict[str, str]) -> list[str]:
    """Shell lines that export each address with its token or secret, only where the operator has not set the
    address (an operator's own platform or robot keeps its own token)."""
    lines = []
    for group in (s for s in settings if s.endswith("_URL")):
        prefix = group.removesuffix("URL").removesuffix("WEBHOOK_")
        assigned = " ".join(f"CASEWORK_{k}={shlex.quote(v)}" for k, v in settings.items() if k.startswith(prefix))
        lines.append(f'[ "${{CASEWORK_{group}+set}}" ] || export {assigned}')
    return lines


def answering(base: str, wait: float = WAIT) -> bool:
    """Whether these fakes answer at `base` within `wait` seconds (False at once when something else answers)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with urlopen(base + "/", timeout=5) as answer:
                return answer.headers.get(MARK) == "1"
        except OSError as exc:
            if getattr(exc, "code", None) or time.monotonic() > deadline:  # an HTTP error: another server
                return False
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The demo's fake 12345 platform and notification channels.")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--tickets", type=int, default=12, help="new tickets the platform starts with")
    parser.add_argument("--settings", action="store_true", help="print the settings for Casework and stop")
    args = parser.parse_args(argv)
    fakes, base = Fakes(0 if args.settings else args.tickets), f"http://127.0.0.1:{args.port}"
    if args.settings:
        if not answering(base):
            sys.exit(f"The demo's fakes do not answer on {base}/ (is the port taken?)")
        print("\n".join(settings_lines(fakes.settings(base))))
        return
    server = make_server("127.0.0.1", args.port, fakes.app(), threaded=True)
    print(f"Fake 12345 platform and channels on {base}/  (what they received)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
