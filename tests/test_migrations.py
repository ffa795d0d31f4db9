"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text, update
from sqlalchemy.engine import Connection

from app.db import Database
from app.migrate import (
    _head,
    alembic_config,
    current_revision,
    head_revision,
    include_object,
    upgrade,
)
from app.models import Article, Base
from tests.factories import make_article


def _fk_signature(fk: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    columns = tuple(c.name for c in fk.columns)
    return (fk.table.name, columns, tuple(e.target_fullname for e in fk.elements))


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    diff = compare_metadata(context, Base.metadata)
    if connection.dialect.name != "sqlite":
        return diff
    # SQLite foreign keys added with ALTER TABLE ADD COLUMN ... REFERENCES (the only way that
    # keeps a table's triggers) are reflected without their name and ON DELETE rule; a
    # remove/add pair with the same columns is that blind spot, not a difference.
    # test_sqlite_foreign_keys_keep_their_rules checks those rules through PRAGMA instead.
    removed = {_fk_signature(d[1]) for d in diff if d[0] == "remove_fk"}
    added = {_fk_signature(d[1]) for d in diff if d[0] == "add_fk"}
    blind = removed & added
    return [
        d for d in diff if not (d[0] in ("remove_fk", "add_fk") and _fk_signature(d[1]) in blind)
    ]


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []


async def test_schema_is_at_head_and_upgrade_is_idempotent(db: Database) -> None:
    await upgrade(db.engine)
    assert await current_revision(db.engine) == head_revision()


async def test_revisions_read_without_alembic_agree_with_alembic(db: Database) -> None:
    """`head_revision` and `current_revision` read the files and the version table themselves
    (start-up without importing Alembic); Alembic's own reading must give the same answers."""
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()

    def alembic_current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        assert await current_revision(db.engine) == await connection.run_sync(alembic_current)


def test_head_follows_the_down_revisions_of_every_file(tmp_path: Path) -> None:
    """A merge revision (a tuple of parents, over several lines) and a module that is not a
    revision are read right; two heads are refused."""
    files = {
        "a.py": 'revision: str = "a"\ndown_revision: str | None = None\n',
        "b.py": "revision = 'b'\ndown_revision = 'a'  # the second\n",
        "c.py": 'revision = "c"\ndown_revision = "a"\n',
        "m.py": 'revision = "m"\ndown_revision = (\n    "b",\n    "c",\n)\n',
        "helpers.py": "VALUE = 1\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    paths = tuple(sorted(tmp_path.glob("*.py")))
    assert _head(paths) == "m"
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = "m"\n')
    (tmp_path / "e.py").write_text('revision = "e"\ndown_revision = "m"\n')
    with pytest.raises(ValueError, match="2 heads: d, e"):
        _head(tuple(sorted(tmp_path.glob("*.py"))))


async def test_sqlite_triggers_survive_every_migration(db: Database) -> None:
    """A batch ALTER that rebuilds a table on SQLite silently drops its triggers."""
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL alters tables in place; its triggers are covered by the sync tests
    async with db.engine.connect() as connection:
        rows = await connection.exec_driver_sql(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
        )
        triggers = {(table, name) for table, name in rows}
    tables = {table for table, _name in triggers}
    assert {"articles", "issues", "sources", "issue_articles"} <= tables
    assert {name for _t, name in triggers} >= {
        "articles_fts_insert",
        "articles_fts_update",
        "articles_fts_delete",
        "changes_articles_insert",
        "changes_articles_update",
        "changes_articles_delete",
    }


async def test_sqlite_foreign_keys_keep_their_rules(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        return
    async with db.engine.connect() as connection:
        rows = (await connection.exec_driver_sql("PRAGMA foreign_key_list(articles)")).all()
    rules = {(row[3], row[2]): row[6] for row in rows}  # (from column, table) -> on_delete
    assert rules[("story_group_id", "story_groups")] == "SET NULL"
    assert rules[("duplicate_of_id", "articles")] == "SET NULL"
    assert rules[("source_id", "sources")] == "SET NULL"


async def test_search_vector_follows_text_and_language_as_the_generated_column_did(
    db: Database,
) -> None:
    if db.engine.dialect.name != "postgresql":
        return  # SQLite searches through FTS5 triggers (test_sqlite_triggers_survive_...)
    expected = text(
        "SELECT bool_and(search_vector = CASE WHEN language = 'en' THEN "
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') "
        "|| setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') "
        "|| setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C') ELSE "
        "setweight(to_tsvector('indonesian'::regconfig, coalesce(title, '')), 'A') "
        "|| setweight(to_tsvector('indonesian'::regconfig, coalesce(summary, '')), 'B') "
        "|| setweight(to_tsvector('indonesian'::regconfig, coalesce(body, '')), 'C') END) "
        "FROM articles"
    )
    async with db.writer.begin() as session:
        first = await make_article(session, title="Banjir di Jakarta", body="Warga mengungsi.")
        second = await make_article(session, title="Floods hit", body="People were running.")
        assert await session.scalar(expected)
        steps = [
            update(Article).where(Article.id == first.id).values(language="id"),
            update(Article).where(Article.id == second.id).values(language="en"),
            update(Article).where(Article.id == first.id).values(body="Warga kembali."),
            update(Article).values(summary="Ringkasan", story_group_id=None),
        ]
        for step in steps:
            await session.execute(step)
            assert await session.scalar(expected)
        await session.execute(
            text("UPDATE articles SET search_vector = to_tsvector('simple', 'x')")
        )
        assert await session.scalar(expected)  # a direct write does not stick
