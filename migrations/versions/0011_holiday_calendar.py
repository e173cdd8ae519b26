"""The holiday calendar: a year's official schedule as administrators enter it, and recounted deadlines found fast.

- holiday_schedules: append-only entries of a year's holidays and make-up working days (JSON), with who entered
  them, when and how (page, file, command); the latest entry of a year is in force.
- ix_case_events_recounted: a partial index of the recount_deadline events, so that statistics find the few
  recounted cases (to read a due time as it stood before the recount) without reading the whole history.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

RECOUNTED = sa.text("action = 'recount_deadline'")


def upgrade():
    op.create_table(
        "holiday_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("source IN ('page', 'file', 'command')", name=op.f("ck_holiday_schedules_source")),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_holiday_schedules_entered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_schedules")),
    )
    op.create_index("ix_holiday_schedules_year", "holiday_schedules", ["year", "id"])
    op.create_index(
        "ix_case_events_recounted",
        "case_events",
        ["case_id"],
        sqlite_where=RECOUNTED,
        postgresql_where=RECOUNTED,
    )


def downgrade():
    op.drop_index("ix_case_events_recounted", table_name="case_events")
    op.drop_index("ix_holiday_schedules_year", table_name="holiday_schedules")
    op.drop_table("holiday_schedules")
