"""The demo's fakes (casework/demo/fakes.py), as `make run` starts them: one process serving the fake platform and
the fake channels, Casework's settings pointed at it where the operator set none, and its page listing what came:
the replies with their photos, the robots' and the gateway's messages."""

import io
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import urlopen

import pytest
from werkzeug.test import Client

from casework import attachments, workflow
from casework.demo.fakes import Fakes
from casework.extensions import db
from casework.intake import outbox
from casework.notices import notify
from casework.notify.outbox import send_due
from tests.helpers import case_in, photo
from tests.notify_support import with_phone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(url: str) -> bytes:
    with urlopen(url, timeout=5) as answer:
        return answer.read()


def answers(url: str) -> bool:
    try:
        return bool(read(url + "/"))
    except OSError:
        return False


@pytest.fixture
def fakes_process():
    """`python -m casework.demo.fakes` on a free port, answering; its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "casework.demo.fakes", "--port", str(port), "--tickets", "3"])
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while not answers(base):
            assert process.poll() is None, "the fakes process ended"
            assert time.monotonic() - started < 60, "the fakes process does not answer"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_reply_with_its_photo_and_a_robot_message_show_on_the_fakes_page(app, make, world, fakes_process):
    app.config.update(Fakes(0).settings(fakes_process), FEED_TIMEOUT=5, NOTIFY_TIMEOUT=5)
    cadre = with_phone(world.cadre1, "13900007777")
    case = case_in(make, world, "order", "assigned")
    uploads = attachments.photos([io.BytesIO(photo(size=(400, 300)))])
    workflow.resolve(case, cadre, result="已修补路面<b>坑洼</b>", attachments=uploads)
    notify(cadre, "urged", case=case, actor=world.dispatcher, text="请今天办结")
    db.session.commit()

    assert outbox.send_pending().sent == 1
    assert send_due().sent >= 2  # the two robots

    page = read(fakes_process + "/").decode()
    sha256 = uploads[0].sha256
    assert case.number in page and "已修补路面&lt;b&gt;坑洼&lt;/b&gt;" in page and cadre.name in page
    assert f'<img src="photos/{sha256}"' in page and f"<figcaption>{sha256}</figcaption>" in page
    assert read(f"{fakes_process}/photos/{sha256}") == attachments.file_path(sha256, "image/jpeg").read_bytes()
    assert "企业微信群机器人" in page and "钉钉群机器人" in page and "请今天办结" in page and "13900007777" in page
    notify(cadre, "urged", case=case, actor=world.dispatcher, text="第二次催办")
    db.session.commit()
    assert send_due().sent >= 2
    page = read(fakes_process + "/").decode()
    assert page.index("第二次催办") < page.index("请今天办结")  # newest first


def test_the_platform_serves_its_new_tickets_to_the_feed_and_the_page_counts_them(fakes_process):
    page = read(fakes_process + "/").decode()
    assert "平台上有 3 条工单，已被拉取 0 次" in page and "还没有收到回复" in page and "还没有收到消息" in page


def test_a_photo_nobody_sent_is_not_found():
    answer = Client(Fakes(0).app()).get("/photos/" + "0" * 64)
    assert answer.status_code == 404


def settings_of(port: int) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "casework.demo.fakes", "--port", str(port), "--settings"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_settings_lines_keep_what_the_operator_set_with_its_token(fakes_process):
    lines = settings_of(int(fakes_process.rsplit(":", 1)[1]))
    assert lines.returncode == 0, lines.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env |= {"CASEWORK_FEED_URL": "https://platform.example", "CASEWORK_SMS_GATEWAY_URL": ""}
    script = 'eval "$1"; env | grep ^CASEWORK_ | sort'
    shown = subprocess.run(["bash", "-c", script, "-", lines.stdout], env=env, capture_output=True, text=True)
    settings = dict(line.split("=", 1) for line in shown.stdout.splitlines())
    assert settings["CASEWORK_FEED_URL"] == "https://platform.example" and "CASEWORK_FEED_TOKEN" not in settings
    assert settings["CASEWORK_SMS_GATEWAY_URL"] == "" and "CASEWORK_SMS_GATEWAY_TOKEN" not in settings
    assert settings["CASEWORK_WECOM_WEBHOOK_URL"] == f"{fakes_process}/channels/wecom/send?key=demo-key"
    assert settings["CASEWORK_DINGTALK_SECRET"].startswith("SEC")


def test_no_settings_when_another_server_holds_the_fakes_port():
    other = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        lines = settings_of(other.server_port)
    finally:
        other.shutdown()
        other.server_close()
    assert lines.returncode != 0 and not lines.stdout and "do not answer" in lines.stderr
