"""watchlist_search_sources: the search sources (news, Reddit, Bluesky) a watchlist spawned

Revision ID: a22000000001
Revises: a21000000001
Create Date: 2026-12-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a22000000001"
down_revision: str | None = "a21000000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watchlist_search_sources",
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_watchlist_search_sources_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_watchlist_search_sources_watchlist_id_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "watchlist_id", "source_id", name=op.f("pk_watchlist_search_sources")
        ),
    )
    with op.batch_alter_table("watchlist_search_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watchlist_search_sources_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("watchlist_search_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watchlist_search_sources_source_id"))
    op.drop_table("watchlist_search_sources")
