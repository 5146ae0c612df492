"""participant tokens stored as hashes; participants enrolled on paper

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-07 10:00:00.000000

Upgrade: every participant's token is replaced by its SHA-256 (`token_hash`), as facilitator
sessions and update links already are. Personal links and QR cards keep working: the app
hashes the token it is given and looks the hash up. Participants get `on_paper`, set for those
a facilitator enrols for paper ballots from now on; participants enrolled on paper before this
revision cannot be told apart and are not marked (the facilitator's list of paper participants
lived in the browser session only, so it ends with the restart that upgrades anyway).

Downgrade: a hash cannot be turned back into its token, so the tokens are lost. Each participant
gets a new random token that nobody holds: every personal link and QR card stops working.
Under the older version the register page can print new cards for pre-registered participants;
people who joined by code have to join again. Ballots, proposals and every other row are kept.
The hash is deliberately not copied into `token`, where the older version would accept it as a
token: that would turn every backup taken under this revision into a set of working links.
"""

import hashlib
import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_participants = sa.table(
    'participants',
    sa.column('id', sa.Integer),
    sa.column('token', sa.String),
    sa.column('token_hash', sa.String),
)


def _fill(column: str, values: dict[int, str]) -> None:
    if values:
        op.get_bind().execute(
            _participants.update()
            .where(_participants.c.id == sa.bindparam('b_id'))
            .values({column: sa.bindparam('b_value')}),
            [{'b_id': pid, 'b_value': value} for pid, value in values.items()],
        )


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('on_paper', sa.Boolean(), server_default=sa.false(), nullable=False))

    rows = op.get_bind().execute(sa.select(_participants.c.id, _participants.c.token)).all()
    _fill('token_hash', {pid: hashlib.sha256(token.encode()).hexdigest() for pid, token in rows})

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_participants_token'), type_='unique')
        batch_op.drop_column('token')
        batch_op.create_unique_constraint(batch_op.f('uq_participants_token_hash'), ['token_hash'])


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))

    ids = op.get_bind().execute(sa.select(_participants.c.id)).scalars().all()
    _fill('token', {pid: secrets.token_urlsafe(32) for pid in ids})

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_participants_token_hash'), type_='unique')
        batch_op.drop_column('token_hash')
        batch_op.drop_column('on_paper')
        batch_op.create_unique_constraint(batch_op.f('uq_participants_token'), ['token'])
