"""voting methods checked by the engine, not the database; a method's own settings per round

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:10:00.000000

Upgrade: the check constraint that listed the four voting methods goes. The engine refuses a
method it has not registered (edp.voting), naming the field, so a new method needs no
migration. Rounds get `settings`, a JSON object with a method's own settings beyond the columns
the first four methods use (an empty object for every existing round).

Downgrade: refused while any round uses a method the older version does not know (its check
constraint would fail on it); the message names the rounds. Otherwise the settings column goes
and the constraint comes back.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_METHODS = ('dots', 'score', 'rank', 'approval')


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rounds_method'), type_='check')
        batch_op.add_column(sa.Column('settings', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    rounds = sa.table('rounds', sa.column('id', sa.Integer), sa.column('method', sa.String))
    newer = op.get_bind().execute(
        sa.select(rounds.c.id, rounds.c.method).where(rounds.c.method.not_in(OLD_METHODS)).order_by(rounds.c.id)
    ).all()
    if newer:
        listed = ', '.join(f'round {rid} ({method})' for rid, method in newer)
        raise RuntimeError(f'cannot downgrade below 0009: these rounds use a method 0008 does not know: {listed}')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('settings')
        batch_op.create_check_constraint(
            batch_op.f('ck_rounds_method'), "method IN ('dots', 'score', 'rank', 'approval')"
        )
