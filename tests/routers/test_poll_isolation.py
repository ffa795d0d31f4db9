"""A poll never waits on another process's write transaction (issue 18).

A crawl holds write transactions for seconds at a time: on SQLite the database's one write
lock, on PostgreSQL the rows it writes. A poll's own bookkeeping (the key's `last_used_at`)
is a write; done inside the request it queued behind them. These tests hold such a
transaction open and require the poll to be answered while it is still open.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select, text, update

from app.db import Database
from app.models import ApiKey, Role, Source
from tests.factories import make_key, make_source
from tests.routers.conftest import make_app

# Only a bound on a test that would otherwise hang (SQLite's busy timeout is 30 s): the poll
# is required to finish while the other transaction is open, not to be fast.
NOT_BLOCKED = 15.0


async def test_a_poll_is_answered_while_a_crawl_holds_its_write_transaction(
    db: Database, backend: str
) -> None:
    app = make_app(db)
    async with db.writer.begin() as session:
        source = await make_source(session)
        key, secret = await make_key(session, Role.VIEWER)  # never used: its use is written
    headers = {"Authorization": f"Bearer {secret}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
        async with db.writer.begin() as crawl:
            # What a crawl's batch does: writes, and keeps the transaction open while it works.
            await crawl.execute(
                update(Source).where(Source.id == source.id).values(etag='"crawled"')
            )
            if backend == "postgresql":
                # ... and a transaction holding the key's row (another process recording the
                # key's use, an admin renaming it): the same wait on PostgreSQL.
                await crawl.execute(
                    text("SELECT id FROM api_keys WHERE id = :id FOR UPDATE"), {"id": key.id}
                )
            polls = [
                asyncio.create_task(http.get(path, headers=headers))
                for path in ("/v1/issues", "/v1/articles", "/v1/articles?changed_after=0")
            ]
            done, _ = await asyncio.wait(polls, timeout=NOT_BLOCKED)
            assert len(done) == len(polls), "a poll waited on the open write transaction"
            assert [p.result().status_code for p in polls] == [200, 200, 200]
        # The use is still recorded, once the other transaction has let go.
        await app.state.key_usage.flush()
    async with db.sessionmaker() as session:
        used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key.id))
    assert used is not None
