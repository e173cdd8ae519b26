"""Dispute numbers: one per dispute even when two are registered at once, by the township's year."""

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from casework import workflow
from casework.extensions import db, savepoint
from casework.models import Case, User, Village
from tests.conftest import PG_URL

PARTIES = [{"name": "甲"}, {"name": "乙"}]


def register(world, **kw):
    fields = dict(village=world.v1, category="邻里纠纷", source="来访", content="占道", parties=PARTIES)
    fields.update(kw)
    return workflow.register_dispute(world.dispatcher, **fields)


def test_a_dispute_received_on_new_years_night_is_numbered_in_the_local_year(world):
    shanghai_new_year = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 2026-01-01 00:30 in Shanghai
    assert register(world, received_at=shanghai_new_year).number == "JF2026-00001"


def test_numbers_follow_each_other_within_a_year(world):
    first, second = register(world), register(world)
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


def test_a_savepoint_after_reads_only_does_not_commit_on_its_own(world, make):
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Case))
    with savepoint():
        make_case = Case(kind="order", number="GD-SP-1", received_at=datetime.now(UTC), content="x")
        db.session.add(make_case)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set CASEWORK_TEST_DATABASE_URL")
def test_two_disputes_registered_at_the_same_moment_get_two_numbers(world, people):
    first, second = people(), people()
    village_id, dispatcher_id = world.v1.id, world.dispatcher.id

    def registers():
        actor, village = db.session.get(User, dispatcher_id), db.session.get(Village, village_id)
        case = workflow.register_dispute(
            actor, village=village, category="邻里纠纷", source="来访", content="占道", parties=PARTIES
        )
        return case.number

    def commits():
        db.session.commit()

    number_one = first.do(registers)  # inserted, not yet committed: its number is taken but unseen
    waiting = second.start(lambda: (registers(), commits())[0])
    time.sleep(0.3)  # let the second insert reach the unique index and wait on the first
    first.do(commits)
    number_two = second.outcome(waiting)
    assert number_one != number_two
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.kind == "dispute")) == 2
