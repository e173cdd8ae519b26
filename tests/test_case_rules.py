"""Each case rule is defined once, on Case (models/cases.py), as a hybrid with a Python and a SQL form: for any
cases and any moment the two forms pick the same cases, the SQL form is never NULL, and its negation picks the
rest. Checked on whichever database the run uses (SQLite, or PostgreSQL with CASEWORK_TEST_DATABASE_URL)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import not_, select

from casework.extensions import db
from casework.models import KINDS, STATES, TIERS, Case

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
# Moments around NOW, a microsecond apart at the edges: a deadline at the very moment is not yet passed.
OFFSETS = (-timedelta(days=2), -timedelta(microseconds=1), timedelta(0), timedelta(microseconds=1), timedelta(hours=5))
INSTANTS = st.sampled_from([NOW + offset for offset in OFFSETS])
MAYBE_INSTANTS = st.none() | INSTANTS

# rule name -> the rule, read the same way on a loaded case (Python) and on the Case class (SQL)
RULES = {
    "is_open": lambda c, now: c.is_open,
    "deadline_running": lambda c, now: c.deadline_running,
    "overdue_at": lambda c, now: c.overdue_at(now),
    "awaiting_acknowledgement": lambda c, now: c.awaiting_acknowledgement,
    "ack_overdue_at": lambda c, now: c.ack_overdue_at(now),
    "is_problem_order": lambda c, now: c.is_problem_order,
    "escalated": lambda c, now: c.escalated,
}


@st.composite
def case_fields(draw) -> dict:
    """The rule-bearing columns of a case in any state the table's constraints allow."""
    kind, state = draw(st.sampled_from(KINDS)), draw(st.sampled_from(STATES))
    fields = {
        "kind": kind,
        "state": state,
        "due_at": draw(MAYBE_INSTANTS),
        "ack_due_at": draw(MAYBE_INSTANTS),
        "acknowledged_at": draw(MAYBE_INSTANTS),
        "reopen_count": draw(st.integers(0, 5)),
        "tier": draw(st.none() | st.sampled_from(TIERS)),
    }
    if state == "resolved":
        fields |= {"result": "done", "resolved_at": NOW, "outcome": "settled" if kind == "dispute" else None}
    return fields


@pytest.fixture
def cadre(make):
    return make.user("cadre")


def stored(cases: list[dict], cadre) -> list[int]:
    """The cases written (not committed) and read back afresh from the database: their ids."""
    rows = [
        Case(number=f"RULE{i}", received_at=NOW - timedelta(days=3), content="x", assignee=cadre, **fields)
        for i, fields in enumerate(cases)
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.expire_all()
    return [row.id for row in rows]


@given(cases=st.lists(case_fields(), min_size=1, max_size=8), now=INSTANTS, reopens=st.integers(1, 4))
def test_each_rule_picks_in_sql_the_cases_its_python_form_answers_true_for(app, cadre, cases, now, reopens):
    app.config["PROBLEM_REOPENS"] = reopens
    try:
        ids = stored(cases, cadre)
        mine = Case.id.in_(ids)
        for name, rule in RULES.items():
            python = {case.id: rule(case, now) for case in db.session.scalars(select(Case).where(mine))}
            sql = {
                case_id: value for case_id, value in db.session.execute(select(Case.id, rule(Case, now)).where(mine))
            }
            assert None not in sql.values(), name
            assert {k: bool(v) for k, v in sql.items()} == python, name
            rest = set(db.session.scalars(select(Case.id).where(mine, not_(rule(Case, now)))))
            assert rest == {k for k, v in python.items() if not v}, name
    finally:
        db.session.rollback()
