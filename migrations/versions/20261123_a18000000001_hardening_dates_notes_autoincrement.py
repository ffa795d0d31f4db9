"""Hardening: impossible stored dates repaired, fetch_attempts.notes, SQLite ids never reused

1. Publish times outside 1990 .. now + 2 days (a .NET feed's 0001-01-01, stored as -infinity on
   PostgreSQL; a 9999-12-31) made every later crawl fail with "date value out of range" in story
   banding and clustering. New ones are dropped at parse time (app/crawlers/dates.py); the ones
   already stored take their article's fetch time, untrusted, and the story bands, story groups
   and issues that copied them are mended the same way.
2. fetch_attempts.notes: the items of a good poll that were skipped or mended, by reason.
3. SQLite reused the id of the last row deleted (rowid = max + 1): a watchlist's entity_ids
   (JSON, no foreign key) or a client holding a webhook id would follow a new row that took it.
   The tables whose ids are referenced that way are rebuilt with AUTOINCREMENT. Dropping a
   parent table on SQLite runs its children's ON DELETE actions (foreign keys are on inside
   the migration's transaction), so every table those actions touch is saved first and
   restored after. PostgreSQL sequences never reuse ids.

Revision ID: a18000000001
Revises: a26000000001
Create Date: 2026-11-23 09:00:00
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "a18000000001"
down_revision: str | None = "a26000000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents first: the order rows are restored in.
AUTOINCREMENT_TABLES = ("watched_entities", "watchlists", "webhooks", "api_keys", "alert_rules")
# Tables whose rows the ON DELETE actions of those tables' foreign keys delete or change.
DEPENDENT_TABLES = ("article_watchlists", "rematch_jobs", "webhook_deliveries", "label_overrides")
EARLIEST = datetime(1990, 1, 1)


def upgrade() -> None:
    with op.batch_alter_table("fetch_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
    _repair_dates()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_autoincrement(enable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_autoincrement(enable=False)
    with op.batch_alter_table("fetch_attempts", schema=None) as batch_op:
        batch_op.drop_column("notes")


def _repair_dates() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    low, high = EARLIEST.replace(tzinfo=UTC), now + timedelta(days=2)
    params: dict[str, object] = {"low": low, "high": high, "now": now}
    if bind.dialect.name == "sqlite":  # naive UTC text there, comparable as strings
        params = {k: v.replace(tzinfo=None).isoformat(" ") for k, v in params.items()}  # type: ignore[attr-defined]

    def bad(column: str) -> str:
        # -infinity and infinity on PostgreSQL compare below and above every date.
        return f"({column} < :low OR {column} > :high)"

    statements = [
        "UPDATE articles SET published_at = fetched_at, published_trusted = false "
        f"WHERE {bad('published_at')}",
        "UPDATE story_bands SET published_at = (SELECT a.published_at FROM articles a "
        f"WHERE a.id = story_bands.article_id) WHERE {bad('published_at')}",
        "UPDATE story_groups SET first_published_at = coalesce((SELECT min(a.published_at) "
        "FROM articles a WHERE a.story_group_id = story_groups.id), :now) "
        f"WHERE {bad('first_published_at')}",
        f"UPDATE issues SET first_seen_at = created_at WHERE {bad('first_seen_at')}",
        f"UPDATE issues SET last_seen_at = updated_at WHERE {bad('last_seen_at')}",
    ]
    for statement in statements:
        used = {k: v for k, v in params.items() if f":{k}" in statement}
        bind.execute(sa.text(statement), used)


def _sqlite_autoincrement(*, enable: bool) -> None:
    bind = op.get_bind()
    saved = [*AUTOINCREMENT_TABLES, *DEPENDENT_TABLES]
    for table in saved:
        bind.exec_driver_sql(f"CREATE TEMP TABLE _keep_{table} AS SELECT * FROM {table}")
    for table in AUTOINCREMENT_TABLES:
        create, indexes = _schema(table)
        bind.exec_driver_sql(f"DROP TABLE {table}")
        bind.exec_driver_sql(_with_autoincrement(create, table) if enable else _plain(create))
        for index in indexes:
            bind.exec_driver_sql(index)
    for table in reversed(DEPENDENT_TABLES):  # children before their parents
        bind.exec_driver_sql(f"DELETE FROM {table}")
    for table in saved:  # parents before their children
        bind.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM _keep_{table}")
        bind.exec_driver_sql(f"DROP TABLE _keep_{table}")


def _schema(table: str) -> tuple[str, list[str]]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL",
        (table,),
    )
    create, indexes = "", []
    for kind, sql in rows:
        if kind == "table":
            create = sql
        elif kind == "index":
            indexes.append(sql)
    return create, indexes


_PK_CONSTRAINT = re.compile(r",\s*CONSTRAINT\s+(\w+)\s+PRIMARY KEY\s*\(id\)", re.IGNORECASE)
_ID_COLUMN = re.compile(r"\bid INTEGER NOT NULL\b(?!\s+(?:CONSTRAINT|PRIMARY))")


def _with_autoincrement(create: str, table: str) -> str:
    if "AUTOINCREMENT" in create.upper():
        return create
    match = _PK_CONSTRAINT.search(create)
    name = match.group(1) if match else f"pk_{table}"
    create = _PK_CONSTRAINT.sub("", create, count=1)
    return _ID_COLUMN.sub(
        f"id INTEGER NOT NULL CONSTRAINT {name} PRIMARY KEY AUTOINCREMENT", create, count=1
    )


def _plain(create: str) -> str:
    found = re.search(r"id INTEGER NOT NULL CONSTRAINT (\w+) PRIMARY KEY AUTOINCREMENT", create)
    if found is None:
        return create
    create = create.replace(found.group(0), "id INTEGER NOT NULL")
    closing = create.rstrip().rfind(")")
    return f"{create[:closing].rstrip()}, \n\tCONSTRAINT {found.group(1)} PRIMARY KEY (id)\n)"
