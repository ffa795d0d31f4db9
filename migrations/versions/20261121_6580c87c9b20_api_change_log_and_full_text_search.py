"""api: change log and full-text search

The `changes` table plus the triggers that fill it (articles, issues, sources, issue_articles),
and full-text search over articles: a SQLite FTS5 table kept in step by triggers, or on
PostgreSQL a stored tsvector (indonesian or english by the article's language; title > summary
> body) with a GIN index. The FTS objects are written by hand and left out of the
models-vs-migrations comparison (`app.migrate.include_object`).

Revision ID: 6580c87c9b20
Revises: 75c8e55c3e4b
Create Date: 2026-11-21 21:52:04.722494
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6580c87c9b20'
down_revision: str | None = '75c8e55c3e4b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, entity recorded, how the trigger finds the id and the kind)
PG_FUNCTIONS = [
"""
CREATE FUNCTION pantau_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0] is the entity name; the row's primary key column is `id`.
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (entity, entity_id, kind, txid, changed_at)
    VALUES (TG_ARGV[0], OLD.id, 'delete', pg_current_xact_id()::text::bigint, now());
    RETURN OLD;
  END IF;
  INSERT INTO changes (entity, entity_id, kind, txid, changed_at)
  VALUES (TG_ARGV[0], NEW.id, 'upsert', pg_current_xact_id()::text::bigint, now());
  RETURN NEW;
END $$
""",
"""
CREATE FUNCTION pantau_record_article_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO changes (entity, entity_id, kind, txid, changed_at)
    VALUES ('article', OLD.id, 'delete', pg_current_xact_id()::text::bigint, now());
    RETURN OLD;
  END IF;
  INSERT INTO changes (entity, entity_id, kind, txid, changed_at)
  VALUES ('article', NEW.id, CASE WHEN NEW.deleted_at IS NULL THEN 'upsert' ELSE 'delete' END,
          pg_current_xact_id()::text::bigint, now());
  RETURN NEW;
END $$
""",
"""
CREATE FUNCTION pantau_record_issue_article_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- An article's issue is part of the article as the API shows it.
  INSERT INTO changes (entity, entity_id, kind, txid, changed_at)
  VALUES ('article', CASE WHEN TG_OP = 'DELETE' THEN OLD.article_id ELSE NEW.article_id END,
          'upsert', pg_current_xact_id()::text::bigint, now());
  RETURN NULL;
END $$
""",
]

PG_TRIGGERS = [
    ("articles", "pantau_record_article_change()"),
    ("issues", "pantau_record_change('issue')"),
    ("sources", "pantau_record_change('source')"),
    ("issue_articles", "pantau_record_issue_article_change()"),
]

SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _sqlite_trigger(table: str, op_: str, entity: str, id_expr: str, kind_expr: str) -> str:
    return (
        f"CREATE TRIGGER changes_{table}_{op_.lower()} AFTER {op_} ON {table} BEGIN "
        f"INSERT INTO changes (entity, entity_id, kind, txid, changed_at) "
        f"VALUES ('{entity}', {id_expr}, {kind_expr}, 0, {SQLITE_NOW}); END"
    )


SQLITE_TRIGGERS = [
    _sqlite_trigger("articles", "INSERT", "article", "NEW.id", "'upsert'"),
    _sqlite_trigger(
        "articles", "UPDATE", "article", "NEW.id",
        "CASE WHEN NEW.deleted_at IS NULL THEN 'upsert' ELSE 'delete' END",
    ),
    _sqlite_trigger("articles", "DELETE", "article", "OLD.id", "'delete'"),
    _sqlite_trigger("issues", "INSERT", "issue", "NEW.id", "'upsert'"),
    _sqlite_trigger("issues", "UPDATE", "issue", "NEW.id", "'upsert'"),
    _sqlite_trigger("issues", "DELETE", "issue", "OLD.id", "'delete'"),
    _sqlite_trigger("sources", "INSERT", "source", "NEW.id", "'upsert'"),
    _sqlite_trigger("sources", "UPDATE", "source", "NEW.id", "'upsert'"),
    _sqlite_trigger("sources", "DELETE", "source", "OLD.id", "'delete'"),
    _sqlite_trigger("issue_articles", "INSERT", "article", "NEW.article_id", "'upsert'"),
    _sqlite_trigger("issue_articles", "UPDATE", "article", "NEW.article_id", "'upsert'"),
    _sqlite_trigger("issue_articles", "DELETE", "article", "OLD.article_id", "'upsert'"),
]
SQLITE_TRIGGER_NAMES = [
    f"changes_{t}_{o}"
    for t in ("articles", "issues", "sources", "issue_articles")
    for o in ("insert", "update", "delete")
]

PG_SEARCH_VECTOR = """
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  CASE WHEN language = 'en' THEN
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
  ELSE
    setweight(to_tsvector('indonesian'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('indonesian'::regconfig, coalesce(summary, '')), 'B')
    || setweight(to_tsvector('indonesian'::regconfig, coalesce(body, '')), 'C')
  END
) STORED
"""

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, content='articles', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, summary, body) "
    "VALUES (NEW.id, NEW.title, NEW.summary, NEW.body); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) "
    "VALUES ('delete', OLD.id, OLD.title, OLD.summary, OLD.body); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary, body) "
    "VALUES ('delete', OLD.id, OLD.title, OLD.summary, OLD.body); "
    "INSERT INTO articles_fts(rowid, title, summary, body) "
    "VALUES (NEW.id, NEW.title, NEW.summary, NEW.body); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('merged_into', sa.BigInteger(), nullable=True),
    sa.Column('txid', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_changes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_entity_position', ['entity', 'txid', 'seq'], unique=False)
        batch_op.create_index('ix_changes_entity_seq', ['entity', 'seq'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for function_sql in PG_FUNCTIONS:
            op.execute(function_sql)
        for table, function in PG_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER changes_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}"
            )
        op.execute(PG_SEARCH_VECTOR)
        op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
    else:
        for statement in SQLITE_TRIGGERS + SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
        for table, _function in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS changes_{table} ON {table}")
        for function in ("pantau_record_change", "pantau_record_article_change",
                         "pantau_record_issue_article_change"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update",
                     *SQLITE_TRIGGER_NAMES):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")

    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_entity_seq')
        batch_op.drop_index('ix_changes_entity_position')

    op.drop_table('changes')
