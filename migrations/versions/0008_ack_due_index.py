"""The new orders listed by acknowledgement (签收) deadline, the most pressing first, read from an index.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ix_cases_state_ack_due", ["state", "ack_due_at", "id"])


def downgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_state_ack_due")
