"""Intake hardening: inbox files known by their content, rejected rows kept once, a run's heartbeat.

- processed_files: one row per inbox file processed, by SHA-256 (unique), with the name it came in under
  and where it was stored, so that a file is never ingested twice, whatever it is called.
- rejected_rows.digest: a digest of the raw row and its line; unique with the source, so that a row read
  again (a feed page re-read, a crash between two commits) is kept once. NULL for rows from before.
- intake_runs.heartbeat_at: touched by a run while it works; another run takes over only once it is stale.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "processed_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("stored_as", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("outcome IN ('imported', 'refused')", name=op.f("ck_processed_files_outcome")),
        sa.ForeignKeyConstraint(["run_id"], ["intake_runs.id"], name=op.f("fk_processed_files_run_id_intake_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_processed_files_sha256")),
    )
    with op.batch_alter_table("rejected_rows") as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_rejected_rows_source_digest", ["source_name", "digest"], unique=True)
    with op.batch_alter_table("intake_runs") as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("intake_runs") as batch_op:
        batch_op.drop_column("heartbeat_at")
    with op.batch_alter_table("rejected_rows") as batch_op:
        batch_op.drop_index("uq_rejected_rows_source_digest")
        batch_op.drop_column("digest")
    op.drop_table("processed_files")
