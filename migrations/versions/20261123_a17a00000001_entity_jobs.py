"""entity_jobs: background re-scans of stored articles after an entity is created or edited

Revision ID: a17a00000001
Revises: 9e4c2d7a1b53
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a17a00000001"
down_revision: str | None = "9e4c2d7a1b53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("mentioned", sa.Integer(), nullable=False),
        sa.Column("after_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["watched_entities.id"],
            name=op.f("fk_entity_jobs_entity_id_watched_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_jobs")),
    )
    with op.batch_alter_table("entity_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_entity_jobs_state_id", ["state", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entity_jobs_entity_id"), ["entity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entity_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_jobs_entity_id"))
        batch_op.drop_index("ix_entity_jobs_state_id")
    op.drop_table("entity_jobs")
