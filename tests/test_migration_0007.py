"""Migration 0007 with cases in the table it alters: they survive going down to 0006 and up again."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from casework import workflow
from casework.extensions import db
from casework.models import Case


def test_going_down_and_up_keeps_the_cases_their_history_and_their_links(world, make):
    order = make.order(world.v1)
    dispute = workflow.convert_to_dispute(
        order, world.dispatcher, category="邻里纠纷", content="占道", parties=[{"name": "甲"}], submission_key="k1"
    )
    db.session.commit()
    ids = order.id, dispute.id
    db.session.remove()
    downgrade(revision="0006")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM case_events")).scalar() == 2
    upgrade()
    dispute = db.session.get(Case, ids[1])
    assert (dispute.origin_case_id, dispute.submission_key, [p.name for p in dispute.parties]) == (ids[0], None, ["甲"])
