"""An extension request lapses when its case leaves the cadre before a decision.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EXTENSION_STATUS = op.f("ck_extension_requests_status")  # the full name, as written


def upgrade():
    with op.batch_alter_table("extension_requests") as batch_op:
        batch_op.drop_constraint(EXTENSION_STATUS, type_="check")
        batch_op.create_check_constraint(EXTENSION_STATUS, "status IN ('pending', 'granted', 'refused', 'lapsed')")


def downgrade():
    # The older schema knows no lapsed request: it stays closed, as refused (its decision note keeps why).
    op.execute("UPDATE extension_requests SET status = 'refused' WHERE status = 'lapsed'")
    with op.batch_alter_table("extension_requests") as batch_op:
        batch_op.drop_constraint(EXTENSION_STATUS, type_="check")
        batch_op.create_check_constraint(EXTENSION_STATUS, "status IN ('pending', 'granted', 'refused')")
