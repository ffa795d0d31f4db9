"""Migration a18000000001 on a database with data: impossible dates mended, no row lost, and
SQLite no longer hands a deleted id to the next row (both backends)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete, func, select, text

from app.db import Database
from app.migrate import upgrade
from app.models import (
    AlertRule,
    ApiKey,
    Article,
    LabelOverride,
    WatchedEntity,
    Watchlist,
    Webhook,
    WebhookDelivery,
)
from app.models.article_watchlist import ArticleWatchlist
from tests.conftest import BACKENDS, PG_ADMIN_DSN, _pg_reachable
from tests.factories import make_article, make_source


def _revision_before(revision: str) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parents[2] / "migrations"))
    down = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


# The revision right before a18000000001, read from the chain. The seed below writes with
# today's models, so every column they carry must exist at BEFORE: a migration that adds
# columns to the seeded tables goes before a18000000001 in the chain.
BEFORE = _revision_before("a18000000001")
FETCHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own (it is migrated from an older revision, not shared)."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}")
        yield database
        await database.dispose()
        return
    problem = await _pg_reachable()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable ({problem}); PostgreSQL tests SKIPPED")
    name = f"pantau_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN_DSN.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    database = Database(f"{base}/{name}")
    try:
        yield database
    finally:
        await database.dispose()
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _seed(db: Database) -> dict[str, int]:
    postgres = db.engine.dialect.name == "postgresql"
    async with db.writer.begin() as session:
        source = await make_source(session)
        good = await make_article(session, source_id=source.id, fetched_at=FETCHED)
        bad = await make_article(session, source_id=source.id, fetched_at=FETCHED)
        entities = [WatchedEntity(name=n, aliases=[]) for n in ("KPK", "DPR", "Polri")]
        session.add_all(entities)
        await session.flush()
        watchlist = Watchlist(name="w", query="KPK", entity_ids=[e.id for e in entities])
        webhook = Webhook(name="h", url="https://hooks.example/x", secret="s" * 32)
        key = ApiKey(name="k", prefix="pk_test", key_hash="0" * 64, role="analyst")
        session.add_all([watchlist, webhook, key])
        await session.flush()
        rule = AlertRule(
            name="r", kind="new_issue", watchlist_id=watchlist.id, webhook_id=webhook.id
        )
        session.add_all(
            [
                rule,
                ArticleWatchlist(article_id=good.id, watchlist_id=watchlist.id),
                LabelOverride(article_id=good.id, label="negative", api_key_id=key.id,
                              api_key_name="k"),
            ]
        )  # fmt: skip
        await session.flush()
        session.add(
            WebhookDelivery(
                webhook_id=webhook.id,
                rule_id=rule.id,
                idempotency_key="k1",
                subject="issue:1",
                reason="new_issue",
                payload={},
            )
        )
        await session.flush()
        ids = {"good": good.id, "bad": bad.id, "rule": rule.id, "key": key.id,
               "webhook": webhook.id, "last_entity": entities[-1].id}  # fmt: skip
    # What a .NET feed's year-0001 date became: -infinity on PostgreSQL, year 1 on SQLite.
    async with db.engine.begin() as connection:
        impossible = "'-infinity'" if postgres else "'0001-01-01 00:00:00.000000'"
        await connection.execute(
            text(f"UPDATE articles SET published_at = {impossible}, published_trusted = true "
                 "WHERE id = :id"),
            {"id": ids["bad"]},
        )  # fmt: skip
    return ids


async def test_repair_keeps_every_row_and_mends_impossible_dates(scratch: Database) -> None:
    await upgrade(scratch.engine, BEFORE)
    ids = await _seed(scratch)
    await upgrade(scratch.engine)
    async with scratch.sessionmaker() as session:
        counts = {
            model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (WatchedEntity, Watchlist, Webhook, ApiKey, AlertRule, WebhookDelivery,
                          ArticleWatchlist, LabelOverride, Article)
        }  # fmt: skip
        assert counts == {
            "WatchedEntity": 3, "Watchlist": 1, "Webhook": 1, "ApiKey": 1, "AlertRule": 1,
            "WebhookDelivery": 1, "ArticleWatchlist": 1, "LabelOverride": 1, "Article": 2,
        }  # fmt: skip
        delivery = (await session.scalars(select(WebhookDelivery))).one()
        assert (delivery.rule_id, delivery.webhook_id) == (ids["rule"], ids["webhook"])
        label = (await session.scalars(select(LabelOverride))).one()
        assert label.api_key_id == ids["key"]
        bad = await session.get(Article, ids["bad"])
        assert bad is not None
        assert (bad.published_at, bad.published_trusted) == (FETCHED, False)


async def test_a_deleted_id_is_never_handed_out_again(scratch: Database) -> None:
    await upgrade(scratch.engine)
    async with scratch.writer.begin() as session:
        first = [WatchedEntity(name=n, aliases=[]) for n in ("KPK", "DPR")]
        hook = Webhook(name="h", url="https://hooks.example/x", secret="s" * 32)
        session.add_all([*first, hook])
        await session.flush()
        taken = (first[-1].id, hook.id)
    async with scratch.writer.begin() as session:
        await session.execute(delete(WatchedEntity).where(WatchedEntity.id == taken[0]))
        await session.execute(delete(Webhook).where(Webhook.id == taken[1]))
    async with scratch.writer.begin() as session:
        again = WatchedEntity(name="Polri", aliases=[])
        hook = Webhook(name="h2", url="https://hooks.example/y", secret="s" * 32)
        session.add_all([again, hook])
        await session.flush()
        assert again.id > taken[0] and hook.id > taken[1]
