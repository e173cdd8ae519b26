"""Statistics: index case_events by (at, action, case_id), so a month's history is read from the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 06:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_at_action', ['at', 'action', 'case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_at_action')
