"""The queue's deadline index carries each case's area and warning time (#12).

A township's first page of open cases (ORDER BY current_due_at, id LIMIT 51, its 13 areas)
read ~12,000 rows of the table to find 51 at a province's size (62 ms); with area_id and
current_warn_at in the index entries the page's ids come from an index-only scan (3 ms).
PostgreSQL only: SQLite has no INCLUDE, and its index stays as it was.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OPEN_CASE = sa.text("status IN ('new', 'in_progress', 'waiting')")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_case_file_open_by_due", table_name="case_file")
    op.create_index(
        "ix_case_file_open_by_due",
        "case_file",
        ["current_due_at", "id"],
        postgresql_where=OPEN_CASE,
        postgresql_include=["area_id", "current_warn_at"],
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_case_file_open_by_due", table_name="case_file")
    op.create_index(
        "ix_case_file_open_by_due", "case_file", ["current_due_at", "id"], postgresql_where=OPEN_CASE
    )
