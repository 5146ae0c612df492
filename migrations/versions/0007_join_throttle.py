"""join throttle and the public join code option

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('join_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('session_key', sa.String(length=64), nullable=False),
    sa.Column('address_key', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('wrong_code', 'joined')", name=op.f('ck_join_attempts_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_attempts'))
    )
    with op.batch_alter_table('join_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_join_attempts_address', ['address_key', 'kind', 'at'], unique=False)
        batch_op.create_index('ix_join_attempts_session', ['session_key', 'kind', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_attempts_at'), ['at'], unique=False)

    # Existing workshops keep their codes off the public home page, as new ones do.
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_join_code', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('show_join_code')

    with op.batch_alter_table('join_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_attempts_at'))
        batch_op.drop_index('ix_join_attempts_session')
        batch_op.drop_index('ix_join_attempts_address')

    op.drop_table('join_attempts')
