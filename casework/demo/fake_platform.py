"""A small fake 12345 platform serving the feed contract of docs/feed.md, for demos and tests.

    python -m casework.demo.fake_platform --port 5099 --tickets 30

then run Casework with CASEWORK_FEED_URL=http://127.0.0.1:5099 CASEWORK_FEED_TOKEN=demo-token.
GET / shows what it holds and the replies it received. Switches simulate a failing platform, from
Python (tests) or with POST /_control {"fail_status": 500, "slow": 5, "bad_json": true,
"fail_on_page": 3, "fail_uploads": 422} (all of them off: {"heal": true}); POST /_control/tickets {"n": 5}
adds tickets. Photos come to POST /images (kept by their SHA-256) before the reply that names their ids.
"""

import argparse
import hashlib
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from .township import VILLAGES

SHANGHAI = ZoneInfo("Asia/Shanghai")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
DEMO_VILLAGES = tuple(name for name, _, _ in VILLAGES)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("秀英", "桂兰", "建国", "建华", "志强", "海燕", "春梅", "明", "伟", "芳", "军", "静", "磊", "丽娟")
PLACES = ("村口", "村委会旁", "小学门口", "三组", "五组", "东头", "桥头", "卫生室附近")
COMPLAINTS = (
    ("供暖", "投诉", "家中暖气不热，室温只有十几度，老人孩子受不了，请尽快处理。"),
    ("供水", "求助", "自来水已经停了两天，没有接到任何通知，请帮助尽快恢复供水。"),
    ("供电", "求助", "{place}路灯坏了一个多月，晚上出行很不方便。"),
    ("道路", "投诉", "{place}道路坑洼积水，车辆无法通行，希望尽快修补。"),
    ("环境卫生", "投诉", "{place}垃圾堆放多日无人清运，气味难闻。"),
    ("劳资", "求助", "在镇上一处工地干活，工头拖欠工资三个月未付。"),
    ("噪音", "投诉", "{place}有工厂夜间生产，噪音扰民，影响休息。"),
    ("农业", "咨询", "想咨询今年的耕地地力保护补贴什么时候发放。"),
    ("房屋", "咨询", "咨询农村危房改造的申请条件和办理流程。"),
    ("交通", "建议", "建议在{place}路口设置减速带，上下学时段车辆太快。"),
)


class FakePlatform:
    """The platform's state: tickets in arrival order, replies received, and the failure switches."""

    def __init__(self, tickets: list[dict] | None = None, token: str = "demo-token"):
        self.token = token
        self.tickets: list[dict] = list(tickets or [])
        self.replies: dict[str, dict] = {}  # order_no -> the reply the platform holds (idempotent by order_no)
        self.reply_posts: list[dict] = []  # every reply POST that got through, duplicates included
        self.images: dict[str, list[dict]] = {}  # order_no -> the photos of its reply, each with its bytes
        self.uploads: dict[str, dict] = {}  # image id -> {sha256, media_type, data}: one per distinct content
        self.image_posts: list[str] = []  # the SHA-256 of every upload that got through, again ones included
        self.requests: list[str] = []  # every request, e.g. "GET /tickets?since=2&limit=2"
        self.fail_status: int | None = None  # every request answers with this HTTP status
        self.fail_from: int | None = None  # GET /tickets number fail_from and later answer 500
        self.slow: float = 0.0  # seconds to wait before answering (for client timeouts)
        self.bad_json = False  # answer GET /tickets with a body that is not JSON
        self.fail_uploads: int | None = None  # POST /images answers with this HTTP status
        self.ticket_requests = 0
        self._lock = threading.Lock()
        self._release = threading.Event()  # set on shutdown: slow answers stop waiting

    # --- what tests and demos change ----------------------------------------------------------

    def add(self, *tickets: dict) -> None:
        with self._lock:
            self.tickets.extend(tickets)

    def fail_on_page(self, n: int) -> None:
        """The n-th page requested from now on, and every one after it, answers HTTP 500."""
        with self._lock:
            self.fail_from = self.ticket_requests + n

    def heal(self) -> None:
        """Switch every failure off."""
        self.fail_status, self.fail_from, self.slow, self.bad_json = None, None, 0.0, False
        self.fail_uploads = None

    # --- the HTTP side ---------------------------------------------------------------------------

    def app(self) -> Flask:
        app = Flask(__name__)
        app.json.ensure_ascii = False
        app.before_request(self._check)
        app.add_url_rule("/tickets", view_func=self._tickets)
        app.add_url_rule("/tickets/<order_no>/reply", view_func=self._reply, methods=["POST"])
        app.add_url_rule("/images", view_func=self._upload, methods=["POST"])
        app.add_url_rule("/", view_func=self._overview)
        app.add_url_rule("/_control", view_func=self._control, methods=["POST"])
        app.add_url_rule("/_control/tickets", view_func=self._more_tickets, methods=["POST"])
        return app

    def _check(self):
        self.requests.append(f"{request.method} {request.full_path.rstrip('?')}")
        if request.path == "/":
            return None
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return jsonify(error="bad or missing token"), 401
        if request.path.startswith("/_control"):
            return None
        if self.slow:
            self._release.wait(self.slow)
        if self.fail_status:
            return jsonify(error="simulated failure"), self.fail_status
        return None

    def _tickets(self):
        with self._lock:
            self.ticket_requests += 1
            if self.fail_from and self.ticket_requests >= self.fail_from:
                return jsonify(error=f"simulated failure on request {self.ticket_requests}"), 500
            if self.bad_json:
                return Response('{"tickets": [{"order_no": "GD1"', mimetype="application/json")
            try:
                since = int(request.args.get("since") or 0)
                limit = min(max(int(request.args.get("limit") or 50), 1), 500)
            except ValueError:
                return jsonify(error="since and limit must be integers"), 400
            page = self.tickets[since : since + limit]
        # `next` is where the following page starts; null once there is nothing after `since`.
        return _json({"tickets": page, "next": str(since + len(page)) if page else None})

    def _reply(self, order_no: str):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("result", "resolved_at")):
            return jsonify(error="result and resolved_at are required"), 422
        images = self._named_images(body.get("images", []))
        if images is None:
            return jsonify(error="each image needs the id of an upload, its sha256 and content_type"), 422
        reply = {k: body.get(k) for k in ("result", "resolved_at", "handler")}
        if images:
            reply["images"] = [image["sha256"] for image in images]
        with self._lock:
            self.reply_posts.append({"order_no": order_no, "key": request.headers.get("Idempotency-Key"), **reply})
            duplicate = self.replies.get(order_no) == reply
            self.replies[order_no] = reply
            self.images[order_no] = images
        return jsonify(order_no=order_no, status="duplicate" if duplicate else "accepted")

    def _upload(self):
        """A photo's bytes: checked against X-Content-SHA256 (422 otherwise); the same bytes get the same id."""
        data, sha256 = request.get_data(), request.headers.get("X-Content-SHA256", "")
        media_type = request.mimetype
        if self.fail_uploads:
            return jsonify(error="simulated upload failure"), self.fail_uploads
        if media_type not in IMAGE_TYPES or not data or hashlib.sha256(data).hexdigest() != sha256:
            return jsonify(error="a JPEG, PNG or WebP whose SHA-256 is X-Content-SHA256"), 422
        image_id = f"img-{sha256[:24]}"
        with self._lock:
            known = image_id in self.uploads
            self.uploads.setdefault(image_id, {"sha256": sha256, "media_type": media_type, "data": data})
            self.image_posts.append(sha256)
        return jsonify(id=image_id, sha256=sha256), 200 if known else 201

    def _named_images(self, images) -> list[dict] | None:
        """The reply's photos as uploaded before it, each named by an id this platform gave for that SHA-256 and
        content type; None if any is not."""
        if not isinstance(images, list):
            return None
        named = []
        for image in images:
            upload = self.uploads.get(image.get("id")) if isinstance(image, dict) else None
            if not upload or (image.get("sha256"), image.get("content_type")) != (
                upload["sha256"],
                upload["media_type"],
            ):
                return None
            named.append(upload | {"name": image.get("name")})
        return named

    def _overview(self):
        return jsonify(tickets=len(self.tickets), ticket_requests=self.ticket_requests, replies=self.replies)

    def _control(self):
        switches = request.get_json(silent=True) or {}
        if switches.get("heal"):
            self.heal()
        for name in ("fail_status", "slow", "bad_json", "fail_uploads"):
            if name in switches:
                setattr(self, name, switches[name])
        if switches.get("fail_on_page"):
            self.fail_on_page(int(switches["fail_on_page"]))
        return jsonify(fail_status=self.fail_status, fail_from=self.fail_from, slow=self.slow, bad_json=self.bad_json)

    def _more_tickets(self):
        n = int((request.get_json(silent=True) or {}).get("n", 5))
        self.add(*generate_tickets(n, start=len(self.tickets) + 1, seed=None))
        return jsonify(tickets=len(self.tickets))


def _json(body: dict) -> Response:
    """UTF-8 JSON, readable; with a lone surrogate in it (which UTF-8 cannot carry), \\u escapes, as a
    platform's JSON library would write it."""
    try:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(body).encode("ascii")
    return Response(data, mimetype="application/json")


@contextmanager
def serving(platform: FakePlatform) -> Iterator[str]:
    """Serve the platform on 127.0.0.1 on a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, platform.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        platform._release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def generate_tickets(
    n: int,
    *,
    start: int = 1,
    now: datetime | None = None,
    seed: int | None = 0,
    villages: tuple[str, ...] = DEMO_VILLAGES,
) -> list[dict]:
    """`n` plausible tickets received over the last two days, numbered from `start`."""
    rng = random.Random(seed)
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    return [_ticket(rng, start + i, now - timedelta(minutes=(n - i) * 47), villages) for i in range(n)]


def _ticket(rng: random.Random, seq: int, received: datetime, villages: tuple[str, ...]) -> dict:
    category, request_type, text = rng.choice(COMPLAINTS)
    village, place = rng.choice(villages), rng.choice(PLACES)
    anonymous = rng.random() < 0.1
    return {
        "order_no": f"GD{received:%Y%m%d}{seq:05d}",
        "received_at": received.isoformat(timespec="seconds"),
        "content": text.format(place=place),
        "caller_name": "" if anonymous else rng.choice(SURNAMES) + rng.choice(GIVEN),
        "caller_phone": "" if anonymous else f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "request_type": request_type,
        "category": category,
        "address": f"{village}{place}",
        "village": village if rng.random() < 0.7 else "",
        "urgency": rng.choices(("一般", "紧急", "特急"), (90, 8, 2))[0],
        "deadline": None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake 12345 platform serving docs/feed.md.")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--tickets", type=int, default=30, help="how many tickets to start with")
    parser.add_argument("--token", default="demo-token")
    parser.add_argument("--from-json", help="serve the tickets of this JSON file (a list) instead")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            tickets = json.load(f)
    else:
        tickets = generate_tickets(args.tickets, seed=None)
    platform = FakePlatform(tickets, token=args.token)
    print(f"Fake platform with {len(tickets)} tickets on http://127.0.0.1:{args.port}/  (Ctrl-C stops it)")
    print(f"  CASEWORK_FEED_URL=http://127.0.0.1:{args.port} CASEWORK_FEED_TOKEN={args.token}")
    make_server("127.0.0.1", args.port, platform.app(), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
