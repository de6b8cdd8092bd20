"""summary rows for subtrees

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

CASE_TYPES = ('need', 'urgent', 'consultation', 'help', 'suggestion', 'complaint', 'report',
              'petition', 'correction', 'follow_up')


def _case_type():
    return sa.Enum(*CASE_TYPES, name='casetype', native_enum=False, create_constraint=True,
                   length=16)


def _tables(subtree):
    """case_summary and reply_time_summary, with or without the subtree key."""
    keys = ['area_id', 'subtree', 'month', 'type'] if subtree else ['area_id', 'month', 'type']
    extra = [sa.Column('subtree', sa.Boolean(), nullable=False)] if subtree else []
    op.create_table('case_summary',
    sa.Column('area_id', sa.Integer(), nullable=False),
    *extra,
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('type', _case_type(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('answer_due', sa.Integer(), nullable=False),
    sa.Column('answered_in_time', sa.Integer(), nullable=False),
    sa.Column('resolve_due', sa.Integer(), nullable=False),
    sa.Column('resolved_in_time', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_case_summary_area_id_area')),
    sa.PrimaryKeyConstraint(*keys, name=op.f('pk_case_summary'))
    )
    extra = [sa.Column('subtree', sa.Boolean(), nullable=False)] if subtree else []
    op.create_table('reply_time_summary',
    sa.Column('area_id', sa.Integer(), nullable=False),
    *extra,
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('type', _case_type(), nullable=False),
    sa.Column('tenths', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_reply_time_summary_area_id_area')),
    sa.PrimaryKeyConstraint(*keys, 'tenths', name=op.f('pk_reply_time_summary'))
    )


def upgrade():
    # Summaries are derived data: the tables are made again, and the next refresh rebuilds
    # every row (no summary_state row means "never built").
    op.drop_table('reply_time_summary')
    op.drop_table('case_summary')
    _tables(subtree=True)
    op.execute('DELETE FROM summary_state')


def downgrade():
    op.drop_table('reply_time_summary')
    op.drop_table('case_summary')
    _tables(subtree=False)
    op.execute('DELETE FROM summary_state')
