"""The field half of the loop in a real browser (issue 11, part 5): a case assigned to the cadre shows in the
bell of their 390x844 phone; from the notification they open the case, attach a photo and resolve it; the reply
to the platform waits for the dispatcher, carrying the photo. And a reminder, sent at a time the test sets,
arrives under the bell. Debian's Chromium through Playwright, on the live server.
"""

from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from casework import reminders, workflow
from casework.extensions import db
from casework.models import Attachment, Reply
from tests.browser import DESKTOP, PHONE


def _photo(path) -> str:
    Image.new("RGB", (640, 480), (90, 140, 60)).save(path, "JPEG")
    return str(path)


def _bell(window) -> str:
    count = window.page.locator("header .bell .bell-count")
    return count.inner_text() if count.count() else ""


def test_the_cadre_resolves_from_the_bell_with_a_photo_and_the_reply_waits_for_the_dispatcher(
    world, make, open_window, tmp_path
):
    case = make.order(world.v1, category="路灯")
    workflow.assign(case, world.dispatcher, assignee=world.cadre1)
    db.session.commit()
    phone = open_window(PHONE, user=world.cadre1)
    assert _bell(phone) == "1"
    with phone.page.expect_navigation():
        phone.page.click("header .bell")
    with phone.page.expect_navigation():
        phone.page.click("ul.notices form button.primary")  # View: read, and on to the case
    assert phone.page.url.endswith(f"/cases/{case.id}")
    assert _bell(phone) == ""
    phone.page.goto(f"/cases/{case.id}?do=resolve")
    form = phone.page.locator("form[action$='/resolve']")
    form.locator("textarea[name='resolve-result']").fill("路灯已更换，现场照片见附件")
    form.locator("input[name='resolve-photos']").set_input_files(_photo(tmp_path / "现场.jpg"))
    with phone.page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert phone.page.locator(".flash.success").count() == 1
    db.session.expire_all()
    assert case.state == "resolved"
    [photo] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    [reply] = db.session.scalars(select(Reply).where(Reply.case_id == case.id)).all()
    assert [i["sha256"] for i in reply.payload["images"]] == [photo.sha256]
    assert phone.errors == [] and phone.violations() == []
    desktop = open_window(DESKTOP, user=world.dispatcher)
    desktop.page.goto("/replies")
    waiting = desktop.page.locator("tr", has_text=case.number)
    assert "路灯已更换" in waiting.inner_text()
    thumb = waiting.locator(f"img[src$='/attachments/{photo.id}/thumb']")
    assert thumb.count() == 1 and thumb.evaluate("img => img.naturalWidth") > 0  # the photo itself, loaded


def test_a_reminder_before_the_deadline_arrives_under_the_bell(world, make, open_window):
    due = datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
    case = make.order(world.v1, state="assigned", assignee=world.cadre1, due_at=due)
    phone = open_window(PHONE, user=world.cadre1)
    assert _bell(phone) == ""
    sent = reminders.send_reminders(now=due - timedelta(hours=2))  # the test's clock: two hours before
    assert sum(sent.values()) >= 1, sent
    phone.page.reload()
    assert _bell(phone) == "1"
    phone.page.goto("/notifications")
    assert case.number in phone.page.locator("ul.notices").inner_text()
