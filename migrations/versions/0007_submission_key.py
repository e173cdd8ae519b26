"""A registered dispute keeps its form's one-time submission key (unique), so a second submit of the
same form finds it instead of registering a duplicate.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEX = op.f("ix_cases_submission_key")


def upgrade():
    # Adding a nullable column and an index: SQLite's batch mode does both in place (no table copy).
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=40), nullable=True))
        batch_op.create_index(INDEX, ["submission_key"], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="cases")
    # In place, not batch mode: SQLite's copy of cases would have to drop the old table, which the rows
    # referencing it forbid (foreign keys are on). SQLite 3.35+ drops a column no index uses in place.
    op.drop_column("cases", "submission_key")
