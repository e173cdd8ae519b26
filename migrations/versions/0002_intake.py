"""Intake: runs and their slot claims, rejected rows, feed cursor, reply outbox, extension requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:49:17.557500

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake_state',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_intake_state'))
    )
    op.create_table('intake_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_key', sa.String(length=80), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('replies_sent', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'ok', 'failed')", name=op.f('ck_intake_runs_status')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_intake_runs_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_runs')),
    sa.UniqueConstraint('slot_key', name=op.f('uq_intake_runs_slot_key'))
    )
    with op.batch_alter_table('intake_runs', schema=None) as batch_op:
        batch_op.create_index('ix_intake_runs_started', ['started_at'], unique=False)

    op.create_table('extension_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('new_due_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'granted', 'refused')", name=op.f('ck_extension_requests_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_extension_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_extension_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_extension_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_requests'))
    )
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_requests_case_id'), ['case_id'], unique=False)

    op.create_table('rejected_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('source_name', sa.String(length=200), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'imported', 'dismissed')", name=op.f('ck_rejected_rows_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_rejected_rows_case_id_cases')),
    sa.ForeignKeyConstraint(['run_id'], ['intake_runs.id'], name=op.f('fk_rejected_rows_run_id_intake_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_rows'))
    )
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.create_index('ix_rejected_rows_status', ['status', 'id'], unique=False)

    op.create_table('replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_via', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_replies_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replies'))
    )
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replies_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_replies_pending', ['sent_at', 'id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_count', sa.Integer(), nullable=False, server_default='0'))



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('extension_count')

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_index('ix_replies_pending')
        batch_op.drop_index(batch_op.f('ix_replies_case_id'))

    op.drop_table('replies')
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_rejected_rows_status')

    op.drop_table('rejected_rows')
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_requests_case_id'))

    op.drop_table('extension_requests')
    with op.batch_alter_table('intake_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_runs_started')

    op.drop_table('intake_runs')
    op.drop_table('intake_state')
