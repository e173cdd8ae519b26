"""The installable app (issue 11, part 4): a manifest with the township's name and its icons, a service worker
at the site's root that keeps the static files and the offline page (and never a page of the site), and the
offline page in Chinese. The worker is checked in Debian's Chromium: it registers, controls the page, and with
the network gone a navigation shows the offline page with the cached style.
"""

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from casework.shell.routes import static_files
from tests.browser import controlled, push_to_worker, shown_notifications
from tests.helpers import login_as, page


def test_the_manifest_names_the_township_and_opens_the_app_standalone(app, client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = json.loads(answer.get_data(as_text=True))
    assert manifest["name"].startswith(app.config["TOWNSHIP_NAME"] + " · ")
    assert (manifest["start_url"], manifest["display"], manifest["lang"]) == ("/", "standalone", "zh-CN")
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])


def test_the_manifest_follows_the_configured_township(app, client):
    app.config["TOWNSHIP_NAME"] = "青石镇"
    assert json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["short_name"] == "青石镇"


def _png(client, path: str) -> Image.Image:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "image/png", path
    return Image.open(io.BytesIO(answer.get_data()))


def test_every_icon_of_the_manifest_is_a_png_of_its_stated_size(client):
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    for icon in icons:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert _png(client, icon["src"]).size == (width, height), icon
    sizes = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_the_maskable_icon_fills_its_square_and_keeps_its_drawing_in_the_safe_circle(client):
    image = _png(client, "/static/icons/maskable-512.png").convert("RGB")
    background = image.getpixel((0, 0))
    drawn = [(i % 512, i // 512) for i, colour in enumerate(image.get_flattened_data()) if colour != background]
    assert len(drawn) > 512 * 10  # a drawing, not a plain square
    # what a launcher's mask may keep at least: the circle of 40% of the size around the centre
    assert all((x - 255.5) ** 2 + (y - 255.5) ** 2 < (0.4 * 512) ** 2 for x, y in drawn)


def test_pages_link_the_manifest_theme_colour_and_home_screen_icon(world, client):
    login_as(client, world.cadre1)
    html = page(client.get("/my"))
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#8c1c13">' in html
    icon = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html).group(1)
    assert _png(client, icon).size == (180, 180)
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html


def test_the_worker_is_served_from_the_root_for_the_whole_site_and_never_kept(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert "no-store" in answer.headers["Cache-Control"]


def _constants(worker: str) -> dict:
    return {name: json.loads(value) for name, value in re.findall(r"^const (\w+) = (.*);$", worker, re.M)}


def test_the_worker_keeps_the_static_files_and_the_offline_page_under_a_name_of_their_hash(app, client):
    known = _constants(page(client.get("/sw.js")))
    version, files = static_files(app.static_folder)
    assert known["CACHE"] == f"casework-{version}"
    assert {"/static/casework.css", "/static/casework.js", "/static/drafts.js", "/offline"} <= set(known["SHELL"])
    assert "/static/sw.js" not in known["SHELL"] and known["OFFLINE"] == "/offline"
    assert all(p.startswith("/static/") for p in known["SHELL"] if p != "/offline")


def test_a_deploy_that_changes_a_static_file_renames_the_cache(tmp_path):
    (tmp_path / "icons").mkdir()
    (tmp_path / "casework.css").write_text("body {}")
    (tmp_path / "icons" / "a.png").write_bytes(b"\x89PNG")
    before = static_files(str(tmp_path))
    (tmp_path / "casework.css").write_text("body { color: red }")
    after = static_files(str(tmp_path))
    assert before[1] == after[1] == ("casework.css", "icons/a.png")
    assert before[0] != after[0]


def test_under_make_runs_debug_mode_the_cache_name_follows_each_edit(app, client, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "sw.js").write_text((Path(app.static_folder) / "sw.js").read_text(encoding="utf-8"))
    (static / "casework.css").write_text("body {}")
    app.debug, app.static_folder = True, str(static)
    before = _constants(page(client.get("/sw.js")))
    (static / "casework.css").write_text("body { color: red }")
    after = _constants(page(client.get("/sw.js")))
    assert before["SHELL"] == after["SHELL"] == ["/static/casework.css", "/offline"]
    assert before["CACHE"] != after["CACHE"]


def test_the_offline_page_says_so_in_chinese_to_anyone(chinese_client):
    answer = chinese_client.get("/offline")
    assert answer.status_code == 200
    assert "网络已断开" in page(answer)


def test_the_offline_page_names_nobody_even_when_kept_for_someone_logged_in(world, client):
    login_as(client, world.cadre1)
    html = page(client.get("/offline"))
    assert world.cadre1.name not in html and "csrf_token" not in html and "/logout" not in html
    assert "<script" not in html  # it must work as it is, from the cache


# --- in Chromium ------------------------------------------------------------------------------------------


def test_the_worker_registers_and_controls_the_page(world, open_window):
    window = open_window(user=world.cadre1)
    controlled(window)
    scope = window.page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == window.page.evaluate("location.origin + '/'")
    assert window.errors == [] and window.console == []  # nothing refused, nothing missing (a favicon: 404)


def test_offline_a_navigation_shows_the_offline_page_with_its_style(world, open_window, live_server):
    window = open_window(user=world.cadre1)
    controlled(window)
    window.page.context.set_offline(True)
    window.page.goto("/my")
    assert window.page.locator("h1").inner_text() == "The network is gone"
    assert window.page.url == f"{live_server.url}/my"  # the address asked for, so "Try again" asks again
    red = window.page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert red == "rgb(140, 28, 19)"  # casework.css, from the worker's cache


def test_the_cache_holds_the_shell_and_no_page_of_the_site(world, make, open_window):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1)
    window = open_window(user=world.cadre1)
    controlled(window)
    window.page.goto(f"/cases/{case.id}")
    kept = window.page.evaluate(
        """caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))
           .then(lists => lists.flat().map(r => new URL(r.url).pathname))"""
    )
    assert "/static/casework.css" in kept and "/offline" in kept
    assert [p for p in kept if not p.startswith("/static/") and p != "/offline"] == []


def test_a_push_shows_a_notification_that_opens_its_case(world, open_window, live_server):
    window = open_window(user=world.cadre1)
    window.page.context.grant_permissions(["notifications"], origin=live_server.url)
    controlled(window)
    message = {"title": "新工单", "body": "GD2026000001 路灯不亮", "url": "/cases/1", "tag": "case-1"}
    push_to_worker(window, message)
    shown = shown_notifications(window)
    assert shown == [{"title": "新工单", "body": message["body"], "tag": "case-1", "url": "/cases/1"}]


@pytest.mark.parametrize(
    ("url", "opened"),
    [("/cases/7", "/cases/7"), ("https://elsewhere.example/phish", "/"), ("//elsewhere.example/x", "/"), ("", "/")],
)
def test_a_tap_on_a_notification_opens_only_an_address_of_this_site(world, open_window, live_server, url, opened):
    window = open_window(user=world.cadre1)
    controlled(window)
    worker = window.page.context.service_workers[0]
    assert worker.evaluate("url => sameOriginUrl(url)", url) == live_server.url + opened
