"""A cadre's recently resolved cases read from an index, not by sorting all of theirs.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ix_cases_assignee_state_resolved", ["assignee_id", "state", "resolved_at"])


def downgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_assignee_state_resolved")
