"""articles.search_vector: kept by a trigger that recomputes it only when its text changes

The stored generated column was recomputed on every UPDATE that named one of its inputs,
whatever the values: the score write sets `language` (NULL -> 'id', the same configuration),
so every scored article's title, summary and body went through `to_tsvector` again. The trigger
computes the same expression on INSERT, and on UPDATE only when the title, summary or body
changed or the language moved in or out of 'en'. PostgreSQL only (SQLite keeps FTS5).

Revision ID: 9e4c2d7a1b53
Revises: 3d1f0a9c2b7e
Create Date: 2026-11-22 06:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9e4c2d7a1b53"
down_revision: str | None = "3d1f0a9c2b7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of migration 6580c87c9b20's generated column, over NEW.
VECTOR = """
  CASE WHEN NEW.language = 'en' THEN
    setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(NEW.body, '')), 'C')
  ELSE
    setweight(to_tsvector('indonesian'::regconfig, coalesce(NEW.title, '')), 'A')
    || setweight(to_tsvector('indonesian'::regconfig, coalesce(NEW.summary, '')), 'B')
    || setweight(to_tsvector('indonesian'::regconfig, coalesce(NEW.body, '')), 'C')
  END
"""

FUNCTION = f"""
CREATE FUNCTION pantau_article_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.title IS NOT DISTINCT FROM OLD.title
     AND NEW.summary IS NOT DISTINCT FROM OLD.summary
     AND NEW.body IS NOT DISTINCT FROM OLD.body
     AND coalesce(NEW.language = 'en', false) = coalesce(OLD.language = 'en', false) THEN
    NEW.search_vector := OLD.search_vector;  -- unchanged text: the same vector (never written)
  ELSE
    NEW.search_vector := {VECTOR};
  END IF;
  RETURN NEW;
END $$
"""

GENERATED = f"""
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
{VECTOR.replace("NEW.", "")}
) STORED
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE articles ALTER COLUMN search_vector DROP EXPRESSION")
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER articles_search_vector BEFORE INSERT OR UPDATE ON articles "
        "FOR EACH ROW EXECUTE FUNCTION pantau_article_search_vector()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS articles_search_vector ON articles")
    op.execute("DROP FUNCTION IF EXISTS pantau_article_search_vector()")
    op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
    op.execute("ALTER TABLE articles DROP COLUMN search_vector")
    op.execute(GENERATED)
    op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
