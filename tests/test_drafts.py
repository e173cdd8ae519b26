"""Drafts (issue 11, part 4): what a cadre types in a case's forms is kept in the browser until the server has
accepted it, so a lost signal never loses it. In Debian's Chromium, on a 390x844 phone, on the live server:
typed then reloaded (offline, then online) it comes back; a submit that never reached the server keeps it; a
refused submit keeps it; an accepted one clears it; logging out clears every draft; after a session ended, the
next user on the phone sees nothing of the previous one's drafts, while the writer gets theirs back; and the
forms work with JavaScript off.
"""

from casework.extensions import db
from casework.models import CaseEvent
from tests.browser import PHONE, controlled, log_in

RESULT = "textarea[name='resolve-result']"
NOTE = "textarea[name='note-note']"
DRAFT_KEYS = "Object.keys(localStorage).filter(k => k.startsWith('casework-draft:'))"


def _cadre_at_case(world, make, open_window, **options):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1, category="供暖")
    window = open_window(PHONE, user=world.cadre1, **options)
    window.page.goto(f"/cases/{case.id}?do=resolve")
    return case, window


def _typed(window, selector: str, text: str) -> None:
    window.page.locator(selector).press_sequentially(text)  # as typed, one input event per character


def test_a_result_typed_comes_back_after_a_reload_offline_then_online(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    controlled(window)
    _typed(window, RESULT, "已到现场，路灯已修复")
    window.page.context.set_offline(True)
    window.page.reload()
    assert window.page.locator("h1").inner_text() == "The network is gone"
    window.page.context.set_offline(False)
    window.page.goto(f"/cases/{case.id}")
    assert window.page.locator(RESULT).input_value() == "已到现场，路灯已修复"
    assert window.page.locator(RESULT).is_visible()  # its <details> opened to show it


def test_a_submit_that_never_reached_the_server_keeps_the_draft(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    _typed(window, RESULT, "已协调物业处理")
    window.page.context.set_offline(True)
    try:
        window.page.click("form[action$='/resolve'] button[type=submit]")
        window.page.wait_for_load_state()
    finally:
        window.page.context.set_offline(False)
    window.page.goto(f"/cases/{case.id}")
    assert window.page.locator(RESULT).input_value() == "已协调物业处理"
    db.session.expire_all()
    assert case.state == "assigned"


def test_a_refused_submit_keeps_the_draft(app, world, make, open_window):
    app.config["PHOTO_REQUIRED_CATEGORIES"] = ("供暖",)  # refused: no photo
    case, window = _cadre_at_case(world, make, open_window)
    _typed(window, RESULT, "暖气已恢复")
    with window.page.expect_navigation():
        window.page.click("form[action$='/resolve'] button[type=submit]")
    assert window.page.locator("form[action$='/resolve'] .error-msg").count() >= 1
    window.page.goto(f"/cases/{case.id}")
    assert window.page.locator(RESULT).input_value() == "暖气已恢复"


def test_an_accepted_note_clears_its_draft_and_no_other(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    _typed(window, RESULT, "还没写完的办理结果")
    window.page.goto(f"/cases/{case.id}?do=note")
    _typed(window, NOTE, "已电话联系来电人")
    with window.page.expect_navigation():
        window.page.click("form[action$='/note'] button[type=submit]")
    assert window.page.locator(".flash.success").count() == 1
    assert window.page.locator(NOTE).input_value() == ""
    assert [k.rsplit("|", 1)[1] for k in window.page.evaluate(DRAFT_KEYS)] == ["resolve-result"]
    assert window.page.locator(RESULT).input_value() == "还没写完的办理结果"
    notes = db.session.query(CaseEvent).filter_by(case_id=case.id, action="note").all()
    assert [n.note for n in notes] == ["已电话联系来电人"]


def test_logging_out_clears_every_draft_of_the_browser(world, make, open_window):
    _case, window = _cadre_at_case(world, make, open_window)
    _typed(window, RESULT, "来电人姓名和电话")
    assert len(window.page.evaluate(DRAFT_KEYS)) == 1
    with window.page.expect_navigation():
        window.page.click("form[action$='/logout'] button")
    assert window.page.evaluate(DRAFT_KEYS) == []


def _session_ends_and_the_next_logs_in(window, case, user, form: str = "resolve") -> None:
    """The session is gone (expired, or its cookie dropped): the case's page asks for a login, `user` logs in
    on the same browser and opens `form` of the case."""
    window.page.context.clear_cookies()
    window.page.goto(f"/cases/{case.id}")
    assert "/login" in window.page.url
    log_in(window.page, "", user)
    window.page.goto(f"/cases/{case.id}?do={form}")


def test_after_a_session_ended_the_next_user_sees_nothing_of_the_previous_ones_drafts(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    window.page.goto(f"/cases/{case.id}?do=note")
    _typed(window, NOTE, "来电人王某的住址")
    _session_ends_and_the_next_logs_in(window, case, world.cadre1b, "note")  # a cadre of the same village
    assert window.page.locator(NOTE).input_value() == ""
    assert window.page.evaluate(DRAFT_KEYS) == []  # removed, not merely hidden


def test_after_a_session_ended_the_writer_gets_their_draft_back(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    _typed(window, RESULT, "已约定明天上门")
    _session_ends_and_the_next_logs_in(window, case, world.cadre1)
    assert window.page.locator(RESULT).input_value() == "已约定明天上门"


def test_the_second_writer_keeps_their_own_draft_and_only_that(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window)
    window.page.goto(f"/cases/{case.id}?do=note")
    _typed(window, NOTE, "甲写的")
    _session_ends_and_the_next_logs_in(window, case, world.cadre1b, "note")
    _typed(window, NOTE, "乙写的")
    window.page.reload()
    assert window.page.locator(NOTE).input_value() == "乙写的"
    _session_ends_and_the_next_logs_in(window, case, world.cadre1, "note")
    assert window.page.locator(NOTE).input_value() == ""  # the first's went when the second came, the second's now


def test_with_javascript_off_the_resolve_form_still_works(world, make, open_window):
    case, window = _cadre_at_case(world, make, open_window, java_script_enabled=False)
    window.page.fill(RESULT, "已修复")
    with window.page.expect_navigation():
        window.page.click("form[action$='/resolve'] button[type=submit]")
    db.session.expire_all()
    assert (case.state, case.result) == ("resolved", "已修复")
