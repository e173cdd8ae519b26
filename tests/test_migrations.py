"""The migrations: they go down to nothing and up again, and they build exactly what the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from casework.extensions import db
from casework.models import CaseEvent


def tables() -> set[str]:
    db.session.remove()
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def model_tables() -> set[str]:
    return {t.name for t in db.metadata.sorted_tables}


def schema_differences() -> list:
    """What `flask db migrate` would generate now (same comparison options as migrations/env.py)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrated_database_has_every_model_table(app):
    assert tables() == model_tables()


def test_models_and_migrations_agree(app):
    assert schema_differences() == []


def test_downgrade_to_base_then_upgrade_again(app):
    db.session.remove()
    downgrade(revision="base")
    assert tables() == set()
    upgrade()
    assert tables() == model_tables()
    assert schema_differences() == []


def test_history_is_append_only_again_after_a_round_trip(app, make):
    db.session.remove()
    downgrade(revision="base")
    upgrade()
    case = make.order(None)
    db.session.add(CaseEvent(case=case, action="receive", to_state="received"))
    db.session.commit()
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("UPDATE case_events SET note = 'tampered'"))
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM case_events"))
