"""source health: failing since, error kind

Revision ID: 4ee93f03b247
Revises: 6580c87c9b20
Create Date: 2026-11-21 22:01:22.080151
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4ee93f03b247'
down_revision: str | None = '6580c87c9b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True))
    # Sources failing at upgrade time: the best known start of their failures is the last one.
    op.execute("UPDATE sources SET failing_since = last_error_at WHERE error_count > 0")


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('failing_since')
        batch_op.drop_column('last_error_kind')
