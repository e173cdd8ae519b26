"""On a phone (375 px wide) the dispatcher's lists fit the screen: a wide table scrolls in its own box and
long unbroken text wraps, so the page itself never scrolls sideways.

The pages are rendered by the app and laid out by a headless Chromium, the one outside program these tests
use; without it the layout tests cannot run (and say so), the markup tests still do.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from casework.extensions import db
from casework.models import RejectedRow
from tests.helpers import CHROMIUM, login_as, needs_chromium

ROOT = Path(__file__).resolve().parent.parent
PHONE_WIDTH = 375
UNBROKEN = "无法识别的字段内容" * 3 + "x" * 160  # a pasted field with no place to break a line

# Runs in the page, inside a 375 px frame: how wide the page became, and the widest thing sticking out.
PROBE = """<script>
window.addEventListener('load', function () {
  var root = document.documentElement, out = {page: root.scrollWidth, screen: root.clientWidth, wide: []};
  document.querySelectorAll('body *').forEach(function (e) {
    var box = e.getBoundingClientRect(), scroller = e.closest('.scroll');
    if (box.right > root.clientWidth + 1 && box.width > 0 && !(scroller && scroller !== e))
      out.wide.push(e.tagName + '.' + e.className + ' ' + Math.round(box.right));
  });
  parent.document.getElementById('probe').textContent = JSON.stringify(out);
});
</script>"""


def laid_out_on_a_phone(html: str, tmp_path: Path) -> dict:
    """The page's width as Chromium lays it out in a phone-wide frame, and what sticks out of the screen."""
    css = (ROOT / "casework" / "static" / "casework.css").read_text(encoding="utf-8")
    html = re.sub(r'<link rel="stylesheet" href="[^"]*casework\.css[^"]*">', lambda _m: f"<style>{css}</style>", html)
    (tmp_path / "page.html").write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    phone = f'<iframe src="page.html" style="width:{PHONE_WIDTH}px;height:800px;border:0"></iframe>'
    frame = f'<body style="margin:0">{phone}<pre id="probe"></pre></body>'
    (tmp_path / "phone.html").write_text(frame, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--disable-web-security"]
    command = [CHROMIUM, *flags, "--window-size=800,900", "--virtual-time-budget=3000", "--dump-dom"]
    dom = subprocess.run([*command, (tmp_path / "phone.html").as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found and found.group(1), f"Chromium laid out nothing: {dom.stderr[-500:]}"
    return json.loads(found.group(1).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&"))


@pytest.fixture
def long_rejected_row(world):
    row = RejectedRow(source_name="orders-" + "长文件名" * 10 + ".xlsx", line=3, reason="The order number is missing.")
    row.raw = {"order_no": "GD" + "9" * 60, "content": UNBROKEN, "address": UNBROKEN, "caller_name": UNBROKEN}
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def full_queue(world, make):
    for _ in range(3):
        make.order(world.v1, content=UNBROKEN, urgency="特急", category="环境卫生")
        make.order(world.v2, state="assigned", assignee=world.cadre2, content="路灯不亮" * 20)


def test_the_queue_table_sits_in_a_box_that_scrolls_by_itself(world, full_queue, client):
    login_as(client, world.dispatcher)
    text = client.get("/queue").get_data(as_text=True)
    assert re.search(r'<div class="scroll">\s*<table class="list">', text)


@needs_chromium
@pytest.mark.parametrize("path", ["/queue", "/queue?state="])
def test_the_queue_fits_a_phone(world, full_queue, client, tmp_path, path):
    login_as(client, world.dispatcher)
    layout = laid_out_on_a_phone(client.get(path).get_data(as_text=True), tmp_path)
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout


@needs_chromium
def test_rejected_rows_with_long_unbroken_text_fit_a_phone(world, long_rejected_row, client, tmp_path):
    login_as(client, world.dispatcher)
    layout = laid_out_on_a_phone(client.get("/intake/rejected").get_data(as_text=True), tmp_path)
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout


@needs_chromium
def test_a_case_with_long_unbroken_text_fits_a_phone(world, make, client, tmp_path):
    case = make.order(world.v1, content=UNBROKEN, address=UNBROKEN)
    login_as(client, world.dispatcher)
    layout = laid_out_on_a_phone(client.get(f"/cases/{case.id}").get_data(as_text=True), tmp_path)
    assert layout["page"] <= layout["screen"] and layout["wide"] == [], layout
