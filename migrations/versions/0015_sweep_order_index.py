"""The SLA sweep's order as an index: (next_sla_check_at, id) instead of the check alone (#12).

A 17:30 burst gives thousands of cases one check moment: with the check alone, every batch of
the sweep (ORDER BY next_sla_check_at, id LIMIT 1000 FOR UPDATE SKIP LOCKED) read and sorted
all the cases still due; with the id in the index it reads its batch and stops.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:46:25.457844

"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_next_sla_check_at")
        batch_op.create_index("ix_case_file_sweep_order", ["next_sla_check_at", "id"])


def downgrade():
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_sweep_order")
        batch_op.create_index("ix_case_file_next_sla_check_at", ["next_sla_check_at"])
