"""The holiday calendar page (系统管理 › 节假日安排): entering a year, importing and exporting it, the reminder."""

import io
import json
import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from casework import holidays
from casework.admin import routes as admin_routes
from casework.extensions import db
from casework.text import clean
from tests.helpers import PASSWORD, SCHEDULE_2027, due_of, end_of, local


def form_of(schedule: dict) -> dict:
    """The page's form filled in as an admin fills it from the notice."""
    data = {"workdays": "\n".join(schedule["workdays"])}
    for i, h in enumerate(schedule["holidays"]):
        data |= {f"holidays-{i}-name": h["name"], f"holidays-{i}-first": h["from"], f"holidays-{i}-last": h["to"]}
    return data


@pytest.fixture
def admin(world, auth):
    auth.login(world.admin)
    return world.admin


def test_an_admin_enters_2027_on_the_page_and_the_spring_festival_order_is_due_after_the_holiday(admin, client):
    response = client.post("/admin/calendar/2027", data=form_of(SCHEDULE_2027))
    assert response.status_code == 302
    assert due_of(local(2027, 2, 4, 10, 0)) == end_of(2027, 2, 18)
    entry = holidays.current_entry(2027)
    assert (entry.entered_by, entry.source) == (admin, "page")
    assert holidays.export_schedule(2027) == SCHEDULE_2027


def test_the_year_shows_holidays_and_make_up_days_at_a_glance(admin, client):
    client.post("/admin/calendar/2027", data=form_of(SCHEDULE_2027))
    page = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'class="day-holiday" title="2027-02-05 春节"' in page
    assert 'class="day-makeup" title="2027-02-14"' in page
    assert 'class="day-workday" title="2027-02-04"' in page
    assert 'class="day-weekend" title="2027-02-27"' in page
    assert "系统管理员" in page  # who entered it


def test_a_year_nobody_entered_says_it_is_counted_by_weekends(admin, client):
    page = client.get("/admin/calendar/2028").get_data(as_text=True)
    assert "not known yet" in page and 'class="day-workday" title="2028-01-03"' in page


def test_a_refused_schedule_keeps_the_typing_and_says_what_and_where(admin, client):
    data = form_of(SCHEDULE_2027) | {"workdays": "2027-02-14\n2027-02-07"}
    response = client.post("/admin/calendar/2027", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 2: 2027-02-07 is inside the holiday 春节." in page
    assert "2027-02-14\n2027-02-07" in page and 'value="2027-10-07"' in page
    assert holidays.entries(2027) == []


def test_overlapping_rows_are_refused_at_the_row(admin, client):
    data = form_of(SCHEDULE_2027) | {"holidays-2-first": "2027-02-12", "holidays-2-last": "2027-02-15"}
    page = client.post("/admin/calendar/2027", data=data).get_data(as_text=True)
    assert "This holiday overlaps 春节." in page and 'value="2027-02-12"' in page


def test_a_file_is_imported_on_the_page_and_exported_back(admin, client):
    raw = holidays.schedule_json(SCHEDULE_2027).encode()
    response = client.post("/admin/calendar/2027/import", data={"file": (io.BytesIO(raw), "2027.json")})
    assert response.status_code == 302
    assert holidays.current_entry(2027).source == "file"
    exported = client.get("/admin/calendar/2027.json")
    assert json.loads(exported.get_data(as_text=True)) == SCHEDULE_2027
    assert "attachment" in exported.headers["Content-Disposition"]


def test_a_bad_file_on_the_page_is_refused_naming_its_line(admin, client):
    text = holidays.schedule_json({**SCHEDULE_2027, "workdays": ["2027-02-14", "2027-02-16"]})
    response = client.post("/admin/calendar/2027/import", data={"file": (io.BytesIO(text.encode()), "x.json")})
    line = text.splitlines().index('    "2027-02-16"') + 1
    assert response.status_code == 422
    assert f"Line {line}: A make-up working day falls on a Saturday or Sunday" in response.get_data(as_text=True)


def test_only_admins_enter_the_calendar(world, auth, client):
    auth.login(world.dispatcher)
    assert client.post("/admin/calendar/2027", data=form_of(SCHEDULE_2027)).status_code == 403
    assert holidays.entries(2027) == []


# --- hostile text in every field: a 4xx with the message and the typing kept, never a 500 ---------------------

HOSTILE = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(st.sampled_from("\x00\x01\x1b\x7f\r\n\t 春节2027-0213"), max_size=30),
    st.sampled_from(["x" * 10_000, "2027-02-30", "2027-13-01", "0000-00-00", "2027-2-5", "９９９９-01-01", "\x00"]),
)


def _posted(client, field: str, value: str):
    data = form_of(SCHEDULE_2027) | {field: value}
    response = client.post("/admin/calendar/2027", data=data)
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        page = response.get_data(as_text=True)
        assert 'class="error-msg"' in page
        kept = {str(escape(typed.strip())) for typed in (value, clean(value))}  # as typed, or as the web cleans it
        assert any(k in page for k in kept) or not clean(value).strip()
    db.session.rollback()


@pytest.mark.parametrize("field", ["holidays-1-name", "holidays-1-first", "holidays-1-last", "workdays"])
def test_hostile_text_in_a_calendar_field_is_refused_with_the_typing_kept(admin, client, field):
    @settings(max_examples=15)
    @given(value=HOSTILE)
    def check(value):
        _posted(client, field, value)

    check()


@settings(max_examples=15)
@given(raw=st.one_of(st.binary(max_size=200), HOSTILE.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_hostile_bytes_in_an_imported_file_are_refused_never_a_crash(admin, client, raw):
    response = client.post("/admin/calendar/2027/import", data={"file": (io.BytesIO(raw), "x.json")})
    assert response.status_code == 422 and 'class="error-msg"' in response.get_data(as_text=True)


# --- the reminder -------------------------------------------------------------------------------------------

DECEMBER_5 = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def on(monkeypatch):
    """The pages' clock set to a moment (the reminder depends on the date)."""

    def at(moment: datetime):
        monkeypatch.setattr(admin_routes, "utcnow", lambda: moment)

    return at


NOTICE = "The 2027 holiday schedule has not been entered yet"


ROLES_REMINDED = [("admin", True), ("dispatcher", True), ("cadre1", False), ("leader", False)]


@pytest.mark.parametrize(("who", "shown"), ROLES_REMINDED)
def test_from_december_admins_and_dispatchers_are_reminded_of_next_year(world, auth, client, on, who, shown):
    on(DECEMBER_5)
    auth.login(getattr(world, who))
    page = client.get("/admin/users" if who == "admin" else "/").get_data(as_text=True)
    if who != "admin":
        page = client.get(client.get("/").headers.get("Location", "/")).get_data(as_text=True)
    assert (NOTICE in page) is shown


def test_the_reminder_starts_on_1_december_local_time(world, auth, client, on):
    auth.login(world.admin)
    on(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    assert NOTICE not in client.get("/admin/users").get_data(as_text=True)
    on(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # midnight, 1 December
    assert NOTICE in client.get("/admin/users").get_data(as_text=True)


def test_the_reminder_disappears_once_next_year_is_entered_and_the_log_said_it(world, auth, client, on, caplog):
    caplog.set_level(logging.WARNING, logger="casework.holidays")
    holidays._reminded.clear()
    on(DECEMBER_5)
    auth.login(world.admin)
    assert NOTICE in client.get("/admin/users").get_data(as_text=True)
    assert any("2027 holiday schedule has not been entered" in r.getMessage() for r in caplog.records)
    client.post("/admin/calendar/2027", data=form_of(SCHEDULE_2027))
    assert NOTICE not in client.get("/admin/users").get_data(as_text=True)


def test_a_year_the_package_knows_needs_no_reminder(app):
    assert holidays.reminder_year(datetime(2025, 12, 5, tzinfo=UTC)) is None  # 2026 is in chinesecalendar


def test_in_chinese_the_reminder_reads_as_the_issue_words_it(world, chinese_client, on):
    on(DECEMBER_5)
    chinese_client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    page = chinese_client.get(chinese_client.get("/").headers["Location"]).get_data(as_text=True)
    assert "2027年节假日安排尚未录入，期限按周末计算，请尽快录入" in page
