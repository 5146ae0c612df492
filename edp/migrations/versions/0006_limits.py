"""limits: a per-round cap on proposals per participant, and the ballot replacement rate limit

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 21:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Existing rounds keep the cap they were made with: the fixed 20 of earlier versions.
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('proposals_per_participant', sa.Integer(), server_default='20', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_rounds_proposals_per_participant'), 'proposals_per_participant >= 1'
        )

    # 0: every existing ballot may be replaced at once.
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaceable_at', sa.Float(), server_default='0', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('replaceable_at')

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rounds_proposals_per_participant'), type_='check')
        batch_op.drop_column('proposals_per_participant')
