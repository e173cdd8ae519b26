"""Problem orders (问题工单: reopened PROBLEM_REOPENS times or more) found through an index, not a scan.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ix_cases_kind_reopens", ["kind", "reopen_count"])


def downgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_kind_reopens")
