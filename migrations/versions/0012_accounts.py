"""Accounts: sessions held on the server, a second factor with recovery codes, a login audit (append-only).

- user_sessions: the cookie carries a random key; the row, found by the key's SHA-256, holds the session.
- recovery_codes: one-time codes for the second factor, hashed.
- auth_events: the login audit; UPDATE and DELETE refused by trigger, as case_events.
- users: must_change_password, demo, totp_secret, totp_enabled_at.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APPEND_ONLY = "auth_events is append-only: the login audit is never changed or deleted"


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.create_index("ix_user_sessions_user", ["user_id", "last_seen_at"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=256), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.create_index("ix_recovery_codes_user_id", ["user_id"])
    op.create_table(
        "auth_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_auth_events_user_id_users")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_auth_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_events")),
    )
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.create_index("ix_auth_events_username", ["username", "at"])
        batch_op.create_index("ix_auth_events_ip", ["ip", "at"])
        batch_op.create_index("ix_auth_events_at", ["at"])
    _audit_is_append_only()


def _audit_is_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION auth_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER auth_events_append_only BEFORE UPDATE OR DELETE ON auth_events
            FOR EACH ROW EXECUTE FUNCTION auth_events_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER auth_events_no_{verb.lower()} BEFORE {verb} ON auth_events
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auth_events_append_only ON auth_events")
        op.execute("DROP FUNCTION auth_events_append_only()")
    else:
        op.execute("DROP TRIGGER auth_events_no_update")
        op.execute("DROP TRIGGER auth_events_no_delete")
    op.drop_table("auth_events")
    op.drop_table("recovery_codes")
    op.drop_table("user_sessions")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("demo")
        batch_op.drop_column("must_change_password")
