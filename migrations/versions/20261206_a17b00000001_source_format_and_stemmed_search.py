"""sources.format; SQLite's stemmed full-text index (articles_fts_stem), backfilled

`sources.format` says what a source's URL serves, as detected when it was registered or read
by its latest successful poll (rss20, atom10, news-sitemap, sitemapindex, listing, ...).

SQLite: `articles_fts_stem` is a contentless FTS5 table of the articles' Snowball stems
(app/textsearch.py: the stemmers of PostgreSQL's `indonesian` and `english` configurations),
kept by triggers that call `pantau_stem(text, language)`, a function every SQLite connection of
the application registers (app/db.py). The existing articles are indexed here (the backfill).
PostgreSQL already stems (search_vector); it only gets the column.

Revision ID: a17b00000001
Revises: a20000000001
Create Date: 2026-12-06 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a17b00000001"
down_revision: str | None = "a20000000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stems(row: str) -> str:
    return (
        f"pantau_stem({row}.title, {row}.language), pantau_stem({row}.summary, {row}.language), "
        f"pantau_stem({row}.body, {row}.language)"
    )


SQLITE_STEM = [
    "CREATE VIRTUAL TABLE articles_fts_stem USING fts5(title, summary, body, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_stem_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO articles_fts_stem(rowid, title, summary, body) VALUES (NEW.id, {_stems('NEW')}); "
    "END",
    "CREATE TRIGGER articles_fts_stem_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts_stem(articles_fts_stem, rowid, title, summary, body) "
    f"VALUES ('delete', OLD.id, {_stems('OLD')}); END",
    # The score write sets `language` (NULL -> 'id': the same stemmer); only a change of text
    # or of stemmer re-indexes the article.
    "CREATE TRIGGER articles_fts_stem_update AFTER UPDATE OF title, summary, body, language "
    "ON articles WHEN NEW.title IS NOT OLD.title OR NEW.summary IS NOT OLD.summary "
    "OR NEW.body IS NOT OLD.body "
    "OR (coalesce(NEW.language, '') = 'en') <> (coalesce(OLD.language, '') = 'en') BEGIN "
    "INSERT INTO articles_fts_stem(articles_fts_stem, rowid, title, summary, body) "
    f"VALUES ('delete', OLD.id, {_stems('OLD')}); "
    f"INSERT INTO articles_fts_stem(rowid, title, summary, body) VALUES (NEW.id, {_stems('NEW')}); "
    "END",
    "INSERT INTO articles_fts_stem(rowid, title, summary, body) "
    f"SELECT id, {_stems('articles')} FROM articles",
]


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_STEM:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_stem_{name}")
        op.execute("DROP TABLE IF EXISTS articles_fts_stem")
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("format")
