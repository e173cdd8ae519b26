"""An extension request lapses when its case leaves the cadre before a decision; a rejected row keeps who
re-imported or dismissed it, and when.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EXTENSION_STATUS = op.f("ck_extension_requests_status")  # the full name, as written
DECIDED_BY_FK = op.f("fk_rejected_rows_decided_by_id_users")


def upgrade():
    with op.batch_alter_table("extension_requests") as batch_op:
        batch_op.drop_constraint(EXTENSION_STATUS, type_="check")
        batch_op.create_check_constraint(EXTENSION_STATUS, "status IN ('pending', 'granted', 'refused', 'lapsed')")
    with op.batch_alter_table("rejected_rows") as batch_op:
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(DECIDED_BY_FK, "users", ["decided_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("rejected_rows") as batch_op:
        batch_op.drop_constraint(DECIDED_BY_FK, type_="foreignkey")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
    # The older schema knows no lapsed request: it stays closed, as refused (its decision note keeps why).
    op.execute("UPDATE extension_requests SET status = 'refused' WHERE status = 'lapsed'")
    with op.batch_alter_table("extension_requests") as batch_op:
        batch_op.drop_constraint(EXTENSION_STATUS, type_="check")
        batch_op.create_check_constraint(EXTENSION_STATUS, "status IN ('pending', 'granted', 'refused')")
