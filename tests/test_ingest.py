"""Ingest: every row checked, none lost, duplicates counted, set-based inserts."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from casework.extensions import db
from casework.intake.ingest import IngestResult, ingest
from casework.models import Case, CaseEvent, IntakeRun, RejectedRow
from tests.helpers import row


@pytest.fixture
def run(app):
    r = IntakeRun(slot_key="test-slot", trigger="manual", source="inbox")
    db.session.add(r)
    db.session.commit()
    return r


def cases() -> list[Case]:
    return list(db.session.scalars(select(Case).order_by(Case.number)))


def open_rejected() -> list[RejectedRow]:
    return list(db.session.scalars(select(RejectedRow).where(RejectedRow.status == "open").order_by(RejectedRow.id)))


def test_good_rows_become_received_orders_with_a_receive_event(world, run):
    result = ingest([row(1), row(2)], run, "export.csv")
    db.session.commit()
    assert (result.fetched, result.new, result.duplicates, result.rejected) == (2, 2, 0, 0)
    first = cases()[0]
    assert first.state == "received" and first.kind == "order"
    assert first.received_at == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    assert first.caller_phone == "13812345678"
    assert first.village_id == world.v1.id
    assert [(e.action, e.actor_id, e.to_state) for e in first.events] == [("receive", None, "received")]
    assert first.events[0].data == {"source": "export.csv", "line": 2}


def test_new_orders_get_ack_and_due_times_from_the_rules(app, run):
    ingest([row(1, request_type="咨询"), row(2, urgency="特急", category="供水")], run, "f.csv")
    consult, water = cases()
    # received Thu 2026-03-05 08:30: 咨询 = end of the 3rd working day after (Tue 03-10), ack end of Fri
    assert consult.due_at == datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC)
    assert consult.ack_due_at == datetime(2026, 3, 6, 15, 59, 59, tzinfo=UTC)
    assert water.due_at == datetime(2026, 3, 6, 0, 30, tzinfo=UTC)  # 24 hours
    assert water.ack_due_at == datetime(2026, 3, 5, 2, 30, tzinfo=UTC)  # 2 hours


def test_a_platform_deadline_wins_over_the_rule(app, run):
    ingest([row(1, deadline="2026/3/20 17:00:00")], run, "f.csv")
    assert cases()[0].due_at == datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_a_failing_row_is_kept_while_the_good_rows_of_the_batch_import(app, run):
    result = ingest([row(1), row(2, content="  "), row(3)], run, "export.csv")
    db.session.commit()
    assert (result.new, result.rejected) == (2, 1)
    (kept,) = open_rejected()
    assert (kept.source_name, kept.line, kept.run_id) == ("export.csv", 3, run.id)
    assert kept.reason == "The content is missing."
    assert kept.raw["order_no"] == "GD20260000002" and kept.raw["caller_phone"] == "138-1234-5678"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"order_no": ""}, "The order number is missing."),
        ({"order_no": "GD 1"}, "The order number is longer than 40 characters or contains spaces."),
        ({"order_no": "G" * 41}, "The order number is longer than 40 characters or contains spaces."),
        ({"received_at": None}, "The received time is missing."),
        ({"received_at": "昨天上午"}, "The received time cannot be read."),
        ({"received_at": "2026-02-30 08:00"}, "The received time cannot be read."),
        ({"received_at": "2099-01-01 08:00"}, "The received time is in the future."),
        ({"content": None}, "The content is missing."),
        ({"urgency": "十万火急"}, "The urgency is not one of 一般, 紧急, 特急."),
        ({"deadline": "下周"}, "The deadline cannot be read."),
        ({"deadline": "2026-03-01"}, "The deadline is before the received time."),
    ],
)
def test_each_rejection_reason(app, run, fields, reason):
    result = ingest([row(1, **fields)], run, "f.csv")
    assert (result.new, result.rejected) == (0, 1)
    assert open_rejected()[0].reason == reason


def test_a_row_with_several_problems_keeps_every_reason(app, run):
    ingest([row(1, order_no="", content="")], run, "f.csv")
    assert open_rejected()[0].reason.splitlines() == ["The order number is missing.", "The content is missing."]


def test_a_duplicate_inside_one_batch_is_counted_and_the_first_wins(app, run):
    result = ingest([row(1, content="first"), row(1, content="second")], run, "f.csv")
    assert (result.new, result.duplicates) == (1, 1)
    assert cases()[0].content == "first"


def test_an_order_known_from_an_earlier_run_changes_nothing(app, run):
    ingest([row(1)], run, "a.csv")
    db.session.commit()
    result = ingest([row(1, content="changed"), row(2)], run, "b.csv")
    db.session.commit()
    assert (result.new, result.duplicates) == (1, 1)
    assert cases()[0].content.startswith("路灯不亮")
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 2


def test_duplicates_are_found_across_batches(app, run, monkeypatch):
    monkeypatch.setattr("casework.intake.ingest.BATCH", 2)
    result = ingest([row(1), row(2), row(3), row(1), row(2)], run, "f.csv")
    assert (result.new, result.duplicates) == (3, 2)


def test_ingest_is_set_based(app, run):
    statements = []
    listen = lambda conn, cursor, stmt, params, context, executemany: statements.append(stmt)  # noqa: ARG005
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        result = ingest([row(n) for n in range(1, 301)] + [row(999, content="")], run, "f.csv")
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert result.new == 300
    # villages, known numbers, rejected rows, cases (insertmanyvalues pages), events: never one per row
    assert len(statements) < 20


def test_results_add_up_for_a_whole_run():
    total = IngestResult(3, 1, 1, 1, [7]) + IngestResult(2, 2, 0, 0, [8, 9])
    assert (total.fetched, total.new, total.duplicates, total.rejected, total.case_ids) == (5, 3, 1, 1, [7, 8, 9])


def test_rows_are_trimmed_folded_and_the_phone_normalised(app, run):
    ingest(
        [row(1, order_no=" ＧＤ１２３ ", caller_phone="+86 (138) 1234-5678", content=" 路灯１２号，不亮 ")], run, "f"
    )
    case = cases()[0]
    assert (case.number, case.caller_phone) == ("GD123", "13812345678")
    assert case.content == "路灯12号，不亮"  # full-width digits folded, Chinese comma kept


@pytest.mark.parametrize("phone", ["匿名", "", None, "无"])
def test_an_anonymous_caller_has_no_phone(app, run, phone):
    assert ingest([row(1, caller_phone=phone)], run, "f").new == 1
    assert cases()[0].caller_phone == ""


@pytest.mark.parametrize(
    ("given", "urgency", "request_type"),
    [("特别紧急", "特急", "咨询类"), ("加急", "紧急", "意见建议"), ("", "一般", "表扬")],
)
def test_urgency_and_type_variants_map_to_the_known_values(app, run, given, urgency, request_type):
    ingest([row(1, urgency=given, request_type=request_type)], run, "f")
    case = cases()[0]
    assert case.urgency == urgency and case.request_type in ("咨询", "建议", "感谢")


def test_an_unknown_type_becomes_other_and_the_history_keeps_what_was_given(app, run):
    ingest([row(1, request_type="催办")], run, "f")
    case = cases()[0]
    assert case.request_type == "其他" and case.events[0].data["request_type_given"] == "催办"


def test_the_village_comes_from_the_village_column_first(world, run):
    ingest([row(1, village="红旗村", address="东风村三组")], run, "f")
    assert cases()[0].village_id == world.v2.id


def test_the_address_is_matched_longest_name_or_alias_first(world, make, run):
    world.v2.aliases = "红旗, 旗村"
    newer = make.village("红旗新村")
    ingest([row(1, address="示范镇红旗新村5号"), row(2, address="红旗路口"), row(3, address="不知道哪里")], run, "f")
    assert [c.village_id for c in cases()] == [newer.id, world.v2.id, None]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"received_at": "0001-01-01 08:00"}, "The received time cannot be read."),
        ({"deadline": "9999-12-31 23:59:59"}, "The deadline cannot be read."),
        ({"deadline": "2028-03-05 08:30"}, "The deadline is more than a year after the received time."),
    ],
)
def test_a_date_out_of_range_rejects_its_row_and_the_others_still_import(world, run, bad, reason):
    result = ingest([row(1), row(2, **bad), row(3)], run, "export.csv")
    db.session.commit()
    assert (result.new, result.rejected) == (2, 1)
    assert [(r.line, r.reason) for r in open_rejected()] == [(3, reason)]
