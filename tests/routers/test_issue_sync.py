"""`changed_after` sync: every change exactly once, tombstones, and late commits."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select

from app.db import Database
from app.models import Change, Issue
from app.services.changes import record_change
from tests.factories import make_issue


async def _sync(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: str
) -> tuple[list[dict[str, object]], str]:
    """Follow the sync feed from `cursor` until it has nothing more.

    The tests share a PostgreSQL cluster with other processes, whose transactions may hold the
    watermark back for a moment (`pending`); a poller then simply asks again.
    """
    items: list[dict[str, object]] = []
    for _ in range(2000):
        response = await client.get(
            "/v1/issues", params={"changed_after": cursor, "limit": 3}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["page"]["next_cursor"]
        if not page["page"]["has_more"] and not page["page"]["pending"]:
            return items, cursor
        if not page["page"]["has_more"]:
            await asyncio.sleep(0.01)
    raise AssertionError("the sync feed never settled")


async def test_sync_returns_changes_then_nothing(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        ids = [(await make_issue(session)).id for _ in range(7)]
    items, cursor = await _sync(client, viewer, "0")
    assert [i["id"] for i in items] == ids
    again, same = await _sync(client, viewer, cursor)
    assert again == [] and same == cursor
    async with db.writer.begin() as session:
        issue = await session.get(Issue, ids[2])
        assert issue is not None
        issue.status = "monitoring"
    items, _ = await _sync(client, viewer, cursor)
    assert [(i["id"], i["status"]) for i in items] == [(ids[2], "monitoring")]


async def test_sync_reports_deletions_and_merges_as_tombstones(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        keep, merged, gone = [(await make_issue(session)).id for _ in range(3)]
    _, cursor = await _sync(client, viewer, "0")
    async with db.writer.begin() as session:
        await record_change(
            session, entity="issue", entity_id=merged, kind="merge", merged_into=keep
        )
        issue = await session.get(Issue, merged)
        assert issue is not None
        issue.status = "resolved"  # the merge also updates the row: the merge still wins
        await session.execute(delete(Issue).where(Issue.id == gone))
    items, _ = await _sync(client, viewer, cursor)
    assert sorted(items, key=lambda i: int(str(i["id"]))) == [
        {"id": merged, "deleted": True, "merged_into": keep},
        {"id": gone, "deleted": True, "merged_into": None},
    ]


async def test_sync_rejects_bad_cursors_and_mixed_parameters(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    for query in ("changed_after=zz!", "changed_after=0&status=new", "changed_after=0&cursor=x"):
        response = await client.get(f"/v1/issues?{query}", headers=viewer)
        assert response.status_code == 422, query
    # a list cursor is not a sync cursor
    page_cursor = "WyItbGFzdF9zZWVuX2F0IiwiMjAyNi0xMS0yMFQwMDowMDowMCswMDowMCIsMV0"
    response = await client.get(f"/v1/issues?changed_after={page_cursor}", headers=viewer)
    assert response.status_code == 422


async def test_late_commit_with_lower_sequence_is_not_missed(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str], backend: str
) -> None:
    """Two PostgreSQL transactions; the one holding the lower sequence commits last."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: a lower sequence cannot commit later")
    _, cursor = await _sync(client, viewer, "0")
    seen: list[int] = []
    async with db.writer() as early, db.writer() as late:
        await early.begin()
        await late.begin()
        slow = await make_issue(early)  # takes the lower sequence number, commits last
        fast = await make_issue(late)
        await late.commit()
        page = (
            await client.get("/v1/issues", params={"changed_after": cursor}, headers=viewer)
        ).json()
        assert page["items"] == [] and page["page"]["pending"] is True  # held back, not skipped
        assert page["page"]["next_cursor"] == cursor
        await early.commit()
    items, cursor = await _sync(client, viewer, cursor)
    seen += [int(str(i["id"])) for i in items]
    async with db.sessionmaker() as probe:
        order = (await probe.scalars(select(Change.entity_id).order_by(Change.seq))).all()
    assert order == [slow.id, fast.id]  # a naive `seq > last seen` reader would have lost slow
    assert seen == [slow.id, fast.id]


async def test_poller_sees_every_row_exactly_once_under_concurrent_writers(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str], backend: str
) -> None:
    """Writers interleave and commit in random order while a poller follows the feed."""
    rng = random.Random(5)
    writers = 8 if backend == "postgresql" else 4
    created: list[int] = []
    done = asyncio.Event()

    async def writer(n: int) -> None:
        async with db.writer() as session, session.begin():
            for _ in range(3):
                issue = await make_issue(
                    session, last_seen_at=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(n)
                )
                created.append(issue.id)
                await asyncio.sleep(rng.random() * 0.02)
            await asyncio.sleep(rng.random() * 0.05)

    seen: list[int] = []

    async def poller() -> None:
        cursor = "0"
        while True:
            finished = done.is_set()
            items, cursor = await _sync(client, viewer, cursor)
            seen.extend(int(str(i["id"])) for i in items)
            if finished:
                return
            await asyncio.sleep(0.005)

    polling = asyncio.create_task(poller())
    await asyncio.gather(*(writer(n) for n in range(writers)))
    done.set()
    await polling
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == writers * 3
