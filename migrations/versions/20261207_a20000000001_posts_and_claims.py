"""Posts beside articles (kind, platform, engagement); fact-check claims and their matches

`articles.kind` is `article` or `post` (public social sources); `platform` and `engagement`
are a post's. `claims_checked_at` is the claim-match stage's queue. `claims` holds fact-checked
claims keyed by their debunk URL's hash; `claim_matches` the documents that repeat one.

Revision ID: a20000000001
Revises: a17a00000001
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a20000000001"
down_revision: str | None = "a17a00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy would drop the articles' FTS triggers.
    op.add_column(
        "articles",
        sa.Column("kind", sa.String(length=8), nullable=False, server_default="article"),
    )
    op.add_column("articles", sa.Column("platform", sa.String(length=16), nullable=True))
    op.add_column("articles", sa.Column("engagement", JSON, nullable=True))
    op.add_column("articles", sa.Column("claims_checked_at", TIME, nullable=True))
    op.create_index("ix_articles_kind_published", "articles", ["kind", "published_at"])
    op.create_index(
        "ix_articles_pending_claims",
        "articles",
        ["id"],
        sqlite_where=sa.text("claims_checked_at IS NULL AND scored_at IS NOT NULL"),
        postgresql_where=sa.text("claims_checked_at IS NULL AND scored_at IS NOT NULL"),
    )
    # Articles already stored are not matched against claims retroactively by the queue:
    # a new claim is matched against the recent ones when it arrives.
    op.execute("UPDATE articles SET claims_checked_at = scored_at WHERE scored_at IS NOT NULL")
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("verdict_label", sa.String(length=40), nullable=False),
        sa.Column("published_at", TIME, nullable=False),
        sa.Column("fetched_at", TIME, nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("matched_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_claims_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_claims_url_hash")),
    )
    op.create_index(op.f("ix_claims_source_id"), "claims", ["source_id"])
    op.create_index("ix_claims_published_id", "claims", ["published_at", "id"])
    op.create_index(
        "ix_claims_pending_match",
        "claims",
        ["id"],
        sqlite_where=sa.text("matched_at IS NULL"),
        postgresql_where=sa.text("matched_at IS NULL"),
    )
    op.create_table(
        "claim_matches",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lexical", sa.Float(), nullable=False),
        sa.Column("matched_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_claim_matches_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_matches_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "article_id", name=op.f("pk_claim_matches")),
    )
    op.create_index("ix_claim_matches_article", "claim_matches", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_claim_matches_article", table_name="claim_matches")
    op.drop_table("claim_matches")
    op.drop_index("ix_claims_pending_match", table_name="claims")
    op.drop_index("ix_claims_published_id", table_name="claims")
    op.drop_index(op.f("ix_claims_source_id"), table_name="claims")
    op.drop_table("claims")
    op.drop_index("ix_articles_pending_claims", table_name="articles")
    op.drop_index("ix_articles_kind_published", table_name="articles")
    for column in ("claims_checked_at", "engagement", "platform", "kind"):
        op.drop_column("articles", column)  # SQLite >= 3.35 drops a column in place
