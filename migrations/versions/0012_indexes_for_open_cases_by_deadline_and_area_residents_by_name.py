"""Indexes for open cases by deadline and by area, residents by area and by name (#12).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:47:32.789248

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN_CASE = sa.text("status IN ('new', 'in_progress', 'waiting')")


def upgrade():
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_queue")
        batch_op.create_index(
            "ix_case_file_queue", ["status", "current_due_at", "current_warn_at", "id"]
        )
        batch_op.create_index(
            "ix_case_file_open_by_area",
            ["area_id", "status", "current_due_at", "current_warn_at"],
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        )
        batch_op.create_index(
            "ix_case_file_open_by_due",
            ["current_due_at", "id"],
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        )
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_index("ix_resident_area_id")
        batch_op.create_index("ix_resident_area_id_id", ["area_id", "id"])
        batch_op.create_index("ix_resident_name_id", ["name", "id"])


def downgrade():
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_index("ix_resident_name_id")
        batch_op.drop_index("ix_resident_area_id_id")
        batch_op.create_index("ix_resident_area_id", ["area_id"])
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_open_by_due")
        batch_op.drop_index("ix_case_file_open_by_area")
        batch_op.drop_index("ix_case_file_queue")
        batch_op.create_index("ix_case_file_queue", ["status", "current_due_at", "id"])
