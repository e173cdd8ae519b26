"""Hostile text in the web (issue 8, section 3): every form field and query parameter is cleaned as intake
cleans (casework.text.clean) before a view sees it, so that a NUL or a control character is never a 500."""

from io import BytesIO

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models import CaseEvent
from casework.web import CleanParameters
from tests.helpers import login_as

NUL = "\x00"


def test_a_nul_in_the_login_username_is_a_wrong_login_not_a_500(world, client):
    response = client.post("/login", data={"username": f"dispatcher{NUL}", "password": "wrong-pw"})
    assert response.status_code == 401


def test_a_nul_in_the_login_username_is_removed_before_matching(world, client):
    response = client.post("/login", data={"username": f"dispa{NUL}tcher", "password": "secret-pw"})
    assert response.status_code == 302


def test_a_note_with_a_nul_and_control_characters_is_stored_without_them(world, make, client):
    case = make.order(village=world.v1, state="assigned", assignee=world.cadre1)
    login_as(client, world.dispatcher)
    note = f"电话{NUL}联系\x07过\r\n明天再去\x1b"
    response = client.post(f"/cases/{case.id}/note", data={"note-note": note, "note-version": case.version})
    assert response.status_code == 302
    stored = db.session.scalar(select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.action == "note"))
    assert stored == "电话联系过\n明天再去"


def test_a_nul_in_the_queue_search_finds_what_the_search_without_it_finds(world, make, client):
    make.order(village=world.v1, content="路灯不亮")
    login_as(client, world.dispatcher)
    response = client.get("/queue", query_string={"q": f"路灯{NUL}"})
    assert response.status_code == 200
    assert "路灯不亮" in response.get_data(as_text=True)


def test_a_note_sent_as_multipart_is_cleaned_too(world, make, client):
    case = make.order(village=world.v1, state="assigned", assignee=world.cadre1)
    login_as(client, world.dispatcher)
    data = {"note-note": f"上门{NUL}核实", "note-version": str(case.version)}
    response = client.post(f"/cases/{case.id}/note", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    stored = db.session.scalar(select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.action == "note"))
    assert stored == "上门核实"


def test_parameters_are_cleaned_in_names_and_values_and_keep_every_value():
    params = CleanParameters([("q\x00", "a\x00b"), ("ids", "1"), ("ids", "2\ud800")])
    assert params.getlist("ids") == ["1", "2"]
    assert params["q"] == "ab"


@pytest.mark.parametrize("target", ["/queue\nx", "/queue\r\nSet-Cookie: a=b", "/queue\tx"])
def test_a_next_with_a_line_break_or_control_is_not_followed_and_not_a_500(world, client, target):
    """A redirect target cannot carry a line break (werkzeug refuses it in the Location header) and
    browsers drop tabs and newlines from URLs, so such a `next` is no path of ours: the start page instead."""
    assert client.get("/lang/en", query_string={"next": target}).headers["Location"] == "/"
    login = client.post("/login", data={"username": "dispatcher", "password": "secret-pw", "next": target})
    assert login.status_code == 302
    assert login.headers["Location"] == "/queue"


def test_a_schedule_file_with_a_number_of_10000_digits_is_refused_as_not_json(world, client):
    """Python refuses to read an integer of more than 4,300 digits (a ValueError, not a JSONDecodeError)."""
    login_as(client, world.admin)
    data = {"file": (BytesIO(b"9" * 10_000), "holidays-2027.json")}
    response = client.post("/admin/calendar/2027/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This is not valid JSON." in response.get_data(as_text=True)


# --- a refusal always says why, even for a field the page does not show --------------------------------


def test_an_assign_with_a_damaged_village_says_why_though_the_page_hides_the_village(world, make, client):
    case = make.order(village=world.v1)
    login_as(client, world.dispatcher)
    data = {"assign-assignee": world.cadre1.id, "assign-village": "x", "assign-version": case.version}
    response = client.post(f"/cases/{case.id}/assign", data=data)
    assert response.status_code == 422
    assert 'class="error-msg"' in response.get_data(as_text=True)


def test_resolving_an_order_with_a_damaged_performance_deadline_says_why(world, make, client):
    """The deadline is asked of disputes only; the order's page has no such field to put the message under."""
    case = make.order(village=world.v1, state="assigned", assignee=world.cadre1)
    login_as(client, world.cadre1)
    data = {"resolve-result": "已修好", "resolve-performance_deadline": "x", "resolve-version": case.version}
    response = client.post(f"/cases/{case.id}/resolve", data=data)
    assert response.status_code == 422
    assert 'class="error-msg"' in response.get_data(as_text=True)


def test_a_conversion_with_a_damaged_version_says_the_form_is_out_of_date(world, make, client):
    order = make.order(village=world.v1)
    login_as(client, world.dispatcher)
    data = {"village": world.v1.id, "category": "邻里纠纷", "content": "争执", "parties-0-name": "甲", "version": "x"}
    response = client.post(f"/disputes/from-order/{order.id}", data=data)
    assert response.status_code == 422
    assert "This form is out of date." in response.get_data(as_text=True)


def test_a_schedule_with_no_holiday_says_to_enter_one(world, client):
    login_as(client, world.admin)
    response = client.post("/admin/calendar/2027", data={"workdays": ""})
    assert response.status_code == 422
    assert "Enter at least one holiday." in response.get_data(as_text=True)
