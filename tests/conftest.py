"""Fixtures shared by the whole suite: every database test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from app.db import Database
from app.migrate import upgrade
from app.models import Base

pytest_plugins = ["tests.farm.fixtures"]  # farm_site, farm_server: the local news farm

PG_ADMIN_DSN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("PANTAU_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


async def _pg_reachable() -> str | None:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pantau")


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[str]:
    """A database per backend for the whole session; PostgreSQL's is created and dropped."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_root / 'suite.db'}"
        return
    problem = await _pg_reachable()
    if problem is not None:
        message = (
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({problem}); PostgreSQL tests SKIPPED"
        )
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    name = f"pantau_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database.engine)
    yield database
    await database.dispose()


async def truncate_all(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
            # As RESTART IDENTITY does on PostgreSQL: AUTOINCREMENT tables start again at 1.
            await conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
async def db(migrated: Database) -> AsyncIterator[Database]:
    """A migrated, empty database on the current backend; emptied again after the test.

    Tables are emptied rather than rolled back because the pipeline under test owns its
    transactions and runs several at once, exactly as in production.
    """
    yield migrated
    await truncate_all(migrated)


@pytest.fixture
def backend(migrated: Database) -> str:
    return migrated.engine.dialect.name


@pytest.fixture(autouse=True)
def _no_pantau_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their settings explicitly; a developer's PANTAU_* variables must not leak in."""
    for name in list(os.environ):
        if (
            name.startswith("PANTAU_")
            and not name.startswith("PANTAU_TEST_")
            and name != "PANTAU_SHARED_DIR"
        ):
            monkeypatch.delenv(name)
