"""The caller's phone never keeps an order out: masked, with an extension, short or odd, it imports as given."""

from pathlib import Path

import pytest
from sqlalchemy import select

from casework.display import mask_phone
from casework.extensions import db
from casework.intake import rejected
from casework.intake.feed import ticket_row
from casework.intake.inbox import import_inbox
from casework.intake.ingest import ingest
from casework.intake.normalize import BAD_PHONE, caller_phone
from casework.models import Case, RejectedRow
from tests.helpers import HEADER, write_csv


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("138****1111", "138****1111"),  # the platform masks callers who asked for it
        ("+86 138 **** 1111", "138****1111"),
        ("0311-8765432 转 801", "03118765432转801"),
        ("0311-87654321分机12", "031187654321转12"),
        ("139", "139"),
        ("一三八", "一三八"),
        ("+86 (138) 1234-5678", "13812345678"),
        ("匿名", ""),
    ],
)
def test_a_phone_is_kept_as_given_and_tidied_where_it_can_be(given, kept):
    assert caller_phone(given) == (kept, None)


def test_of_several_numbers_the_first_is_the_phone_and_the_text_given_is_kept():
    assert caller_phone("13800001111/13900002222") == ("13800001111", "13800001111/13900002222")


def test_a_phone_longer_than_its_column_is_cut_and_the_text_given_is_kept():
    given = "请联系村委会王主任白天打办公室电话晚上打手机或者到村委会找值班的同志"
    assert caller_phone(given) == (given[:30], given)


def test_no_phone_ever_rejects_an_order(app):
    phones = ["138****1111", "0311-8765432 转 801", "139", "见备注", "13800001111、13900002222"]
    rows = [
        {"order_no": f"GD{i}", "received_at": "2026-03-05 08:30", "content": "路灯不亮", "caller_phone": p}
        for i, p in enumerate(phones)
    ]
    result = ingest(rows, None, "f.csv")
    assert (result.new, result.rejected) == (5, 0)
    kept = dict(db.session.execute(select(Case.number, Case.caller_phone)).all())
    assert kept == {
        "GD0": "138****1111",
        "GD1": "03118765432转801",
        "GD2": "139",
        "GD3": "见备注",
        "GD4": "13800001111",
    }


def test_an_export_with_masked_and_unusual_phones_imports_every_order(app):
    inbox = Path(app.config["INBOX_DIR"])
    body = [
        ["GD1", "2026-03-05 08:30", "噪音扰民", "张三", "138****1111"],
        ["GD2", "2026-03-05 08:40", "路灯不亮", "李四", "0311-8765432 转 801"],
        ["GD3", "2026-03-05 08:50", "垃圾未清", "王五", "139"],
    ]
    write_csv(inbox / "export.csv", HEADER[:5], body)

    result = import_inbox(None)

    assert (result.new, result.rejected) == (3, 0)
    assert db.session.scalar(select(RejectedRow)) is None
    phones = db.session.scalars(select(Case.caller_phone).order_by(Case.number)).all()
    assert phones == ["138****1111", "03118765432转801", "139"]


def test_several_numbers_from_the_feed_keep_the_text_given_in_the_receive_event(app):
    ticket = {
        "order_no": "GD1",
        "received_at": "2026-03-05T08:30:00+08:00",
        "content": "路灯不亮",
        "caller_phone": "13800001111；13900002222",
    }
    ingest([ticket_row(ticket)], None, "feed")
    case = db.session.scalar(select(Case))
    assert case.caller_phone == "13800001111"
    assert case.events[0].data["caller_phone_given"] == "13800001111;13900002222"


def test_a_row_refused_for_its_phone_before_now_imports_as_it_was(world):
    old = RejectedRow(
        source_name="old.csv",
        line=2,
        reason=BAD_PHONE,
        status="open",
        raw={
            "order_no": "GD9",
            "received_at": "2026-03-05 08:30",
            "content": "路灯不亮",
            "caller_phone": "138****1111",
        },
    )
    db.session.add(old)
    db.session.commit()
    assert rejected.problems_of(old.raw) == []
    case_id = rejected.reimport(old, old.raw, world.dispatcher)
    assert db.session.get(Case, case_id).caller_phone == "138****1111"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("138****1111", "138****1111"),  # masked by the platform: nothing more to hide
        ("03118765432转801", "031****5432转801"),  # the number masked, the office's extension kept
        ("139", "*39"),
    ],
)
def test_a_phone_kept_as_given_is_masked_like_any_other(phone, masked):
    assert mask_phone(phone) == masked


def test_the_case_page_shows_a_masked_phone_to_the_dispatcher_and_masks_an_extension_for_the_leader(
    world, make, client, auth
):
    masked = make.order(world.v1, caller_phone="138****1111")
    extension = make.order(world.v1, caller_phone="03118765432转801")
    auth.login(world.dispatcher)
    assert "138****1111" in client.get(f"/cases/{masked.id}").get_data(as_text=True)
    auth.logout()
    auth.login(world.leader)
    page = client.get(f"/cases/{extension.id}").get_data(as_text=True)
    assert "031****5432转801" in page and "03118765432" not in page
