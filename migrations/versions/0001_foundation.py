"""Foundation: people, villages, districts, cases of both kinds and their append-only history.

Times are naive UTC (the app's UTCDateTime type). case_events refuses UPDATE and DELETE by trigger

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 05:47:07.843073

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'dispatcher', 'cadre', 'leader')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_districts_mediator_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('name', name=op.f('uq_districts_name'))
    )
    op.create_table('villages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('aliases', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('default_cadre_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['default_cadre_id'], ['users.id'], name=op.f('fk_villages_default_cadre_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_villages_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages')),
    sa.UniqueConstraint('name', name=op.f('uq_villages_name'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('ack_due_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('caller_name', sa.String(length=40), nullable=False),
    sa.Column('caller_phone', sa.String(length=30), nullable=False),
    sa.Column('request_type', sa.String(length=10), nullable=False),
    sa.Column('callback_solved', sa.Boolean(), nullable=True),
    sa.Column('callback_satisfaction', sa.String(length=12), nullable=True),
    sa.Column('callback_at', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('agreement_terms', sa.Text(), nullable=True),
    sa.Column('performance_deadline', sa.Date(), nullable=True),
    sa.Column('failure_route', sa.String(length=200), nullable=True),
    sa.Column('origin_case_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("callback_satisfaction IS NULL OR callback_satisfaction IN ('satisfied', 'basic', 'unsatisfied')", name=op.f('ck_cases_callback_satisfaction')),
    sa.CheckConstraint("kind <> 'dispute' OR state <> 'resolved' OR outcome IS NOT NULL", name=op.f('ck_cases_resolved_dispute_has_outcome')),
    sa.CheckConstraint("kind IN ('order', 'dispute')", name=op.f('ck_cases_kind')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('settled', 'failed', 'withdrawn')", name=op.f('ck_cases_outcome')),
    sa.CheckConstraint("state <> 'resolved' OR (resolved_at IS NOT NULL AND result IS NOT NULL)", name=op.f('ck_cases_resolved_has_result')),
    sa.CheckConstraint("state = 'received' OR assignee_id IS NOT NULL", name=op.f('ck_cases_assigned_has_assignee')),
    sa.CheckConstraint("state IN ('received', 'assigned', 'resolved')", name=op.f('ck_cases_state')),
    sa.CheckConstraint("tier IS NULL OR tier IN ('village', 'district', 'centre')", name=op.f('ck_cases_tier')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['origin_case_id'], ['cases.id'], name=op.f('fk_cases_origin_case_id_cases')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_cases_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_assignee_state_due', ['assignee_id', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_cases_category_received', ['category', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_kind_state_received', ['kind', 'state', 'received_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_origin_case_id'), ['origin_case_id'], unique=False)
        batch_op.create_index('ix_cases_received', ['received_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_resolved', ['resolved_at'], unique=False)
        batch_op.create_index('ix_cases_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_cases_state_received', ['state', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_village_state_received', ['village_id', 'state', 'received_at', 'id'], unique=False)

    op.create_table('user_villages',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_villages_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_user_villages_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'village_id', name=op.f('pk_user_villages'))
    )
    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=10), nullable=True),
    sa.Column('to_state', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_case_events_case', ['case_id', 'id'], unique=False)

    op.create_table('dispute_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('contact', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dispute_parties_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_parties'))
    )
    with op.batch_alter_table('dispute_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_parties_case_id'), ['case_id'], unique=False)

    _history_is_append_only()


APPEND_ONLY = "case_events is append-only: history is never changed or deleted"


def _history_is_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
            FOR EACH ROW EXECUTE FUNCTION case_events_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER case_events_no_{verb.lower()} BEFORE {verb} ON case_events
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_events_append_only ON case_events")
        op.execute("DROP FUNCTION case_events_append_only()")
    else:
        op.execute("DROP TRIGGER case_events_no_update")
        op.execute("DROP TRIGGER case_events_no_delete")
    with op.batch_alter_table('dispute_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_parties_case_id'))

    op.drop_table('dispute_parties')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case')
        batch_op.drop_index(batch_op.f('ix_case_events_at'))

    op.drop_table('case_events')
    op.drop_table('user_villages')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_village_state_received')
        batch_op.drop_index('ix_cases_state_received')
        batch_op.drop_index('ix_cases_state_due')
        batch_op.drop_index('ix_cases_resolved')
        batch_op.drop_index('ix_cases_received')
        batch_op.drop_index(batch_op.f('ix_cases_origin_case_id'))
        batch_op.drop_index('ix_cases_kind_state_received')
        batch_op.drop_index('ix_cases_category_received')
        batch_op.drop_index('ix_cases_assignee_state_due')

    op.drop_table('cases')
    op.drop_table('villages')
    op.drop_table('districts')
    op.drop_table('users')
