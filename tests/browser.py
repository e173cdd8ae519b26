"""Real browsers for the browser tests: Debian's Chromium driven by Playwright (never a browser download), on
the live server of tests/live.py. The fixtures (a browser per test module, pages per test at a phone's or a
desktop's size, screenshots of a failed test's pages) are in conftest.py; this module is what they share.

Without a Chromium the browser tests are skipped, except in CI (the environment has CI set, as .ci/run does),
where a missing browser fails the run instead of passing it unseen.
"""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from tests.helpers import CHROMIUM, PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-screenshots"


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium; no browser: skipped here, a failure in CI."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("No Chromium: CI must run the browser tests (.ci/browser installs Debian's chromium)")
        pytest.skip("no Chromium to run the browser tests (apt-get install chromium fonts-noto-cjk)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


@dataclass
class Watched:
    """A page and what its console and its scripts said: the policy's violations, uncaught errors."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


def open_page(context: BrowserContext) -> Watched:
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched


def log_in(page: Page, base: str, user, next_path: str = "") -> None:
    """Through the real login form, as a person does; fails the test unless it lets them in."""
    page.goto(f"{base}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/login" not in page.url, f"{user.username} could not log in: {page.url}"


def save_screenshots(name: str, pages: list[Page]) -> list[Path]:
    """A PNG of each page still open, named after the test: where they went."""
    SCREENSHOTS.mkdir(exist_ok=True)
    saved = []
    for i, page in enumerate(p for p in pages if not p.is_closed()):
        path = SCREENSHOTS / f"{_file_name(name)}-{i}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception:  # noqa: BLE001 - a page that cannot be drawn any more must not hide the failure
            continue
        saved.append(path)
    return saved


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:150]


# --- the service worker ---------------------------------------------------------------------------------


def controlled(window: Watched) -> None:
    """Wait until the service worker controls the page (it claims open pages when it activates)."""
    window.page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def push_to_worker(window: Watched, message: dict) -> None:
    """Hand the worker a push event carrying `message`, as the push service would. (A script's event is not
    trusted, so its waitUntil throws after the handler has called showNotification: that error is dropped.)"""
    window.page.wait_for_function("navigator.serviceWorker.controller?.state === 'activated'")
    context = window.page.context
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    script = """m => { try { self.dispatchEvent(new PushEvent('push', {data: JSON.stringify(m)})); return ''; }
                      catch (e) { return e.name; } }"""
    assert worker.evaluate(script, message) in ("", "InvalidStateError")


def shown_notifications(window: Watched, seconds: float = 10) -> list[dict]:
    """The notifications the worker shows (title, body, tag, url), once there are some."""
    ask = """navigator.serviceWorker.ready.then(r => r.getNotifications())
             .then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))"""
    deadline = time.monotonic() + seconds
    while not (shown := window.page.evaluate(ask)) and time.monotonic() < deadline:
        window.page.wait_for_timeout(100)
    return shown
