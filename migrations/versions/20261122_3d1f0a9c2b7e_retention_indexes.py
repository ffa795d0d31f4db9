"""retention: indexes for pruning old fetch attempts and superseded change-log rows

Revision ID: 3d1f0a9c2b7e
Revises: 6b7aa9e028ca
Create Date: 2026-11-22 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3d1f0a9c2b7e"
down_revision: str | None = "6b7aa9e028ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_fetch_attempts_started_at", "fetch_attempts", ["started_at"])
    op.create_index(
        "ix_changes_entity_id_position", "changes", ["entity", "entity_id", "txid", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_changes_entity_id_position", table_name="changes")
    op.drop_index("ix_fetch_attempts_started_at", table_name="fetch_attempts")
