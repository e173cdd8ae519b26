"""Migration 0005 with rows in the tables it alters: they survive going down to 0004 and up again."""

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from casework.extensions import db
from casework.models import ExtensionRequest, RejectedRow

AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def test_going_down_closes_a_lapsed_request_as_refused_and_keeps_the_rows(world, make):
    order = make.order(world.v1, state="assigned", assignee=world.cadre1)
    lapsed = ExtensionRequest(
        case=order, requested_by=world.cadre1, reason="等材料", working_days=2, status="lapsed", decision_note="return"
    )
    row = RejectedRow(source_name="a.csv", reason="x", status="dismissed", decided_by=world.dispatcher, decided_at=AT)
    db.session.add_all([lapsed, row])
    db.session.commit()
    ids = lapsed.id, row.id
    db.session.remove()
    downgrade(revision="0004")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT status, decision_note FROM extension_requests")).one() == ("refused", "return")
        assert conn.execute(text("SELECT source_name, status FROM rejected_rows")).one() == ("a.csv", "dismissed")
    upgrade()
    assert db.session.get(ExtensionRequest, ids[0]).status == "refused"
    assert db.session.get(RejectedRow, ids[1]).decided_by_id is None  # what 0004 could not keep
