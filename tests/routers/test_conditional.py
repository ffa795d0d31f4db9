"""Conditional GET and cursor conventions of list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.db import Database
from app.models import Issue
from tests.factories import make_issue

BASE = datetime(2026, 11, 20, tzinfo=UTC)


async def test_304_when_nothing_changed_and_never_after_a_change(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        issue = await make_issue(session)
    first = await client.get("/v1/issues", headers=viewer)
    etag = first.headers["etag"]
    assert first.headers["x-poll-interval"] == "30" and first.headers["last-modified"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await client.get("/v1/issues", headers={**viewer, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # another query string is another resource
    other = await client.get("/v1/issues?limit=5", headers={**viewer, "If-None-Match": etag})
    assert other.status_code == 200
    for change in ("update", "insert", "delete"):
        async with db.writer.begin() as session:
            if change == "update":
                row = await session.get(Issue, issue.id)
                assert row is not None
                row.severity = 80.0
            elif change == "insert":
                await make_issue(session)
            else:
                await session.delete(await session.get(Issue, issue.id))
        response = await client.get("/v1/issues", headers={**viewer, "If-None-Match": etag})
        assert response.status_code == 200, change
        assert response.headers["etag"] != etag
        etag = response.headers["etag"]


async def test_304_survives_a_fresh_process_cache(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    """An ETag from one worker is honoured by another whose cached fingerprint differs."""
    async with db.writer.begin() as session:
        await make_issue(session)
    etag = (await client.get("/v1/issues", headers=viewer)).headers["etag"]
    client_app = client._transport.app  # type: ignore[attr-defined]
    client_app.state.versions._entries.clear()
    again = await client.get("/v1/issues", headers={**viewer, "If-None-Match": etag})
    assert again.status_code == 304


async def test_if_modified_since(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    first = await client.get("/v1/issues", headers=viewer)
    stamp = first.headers["last-modified"]
    same = await client.get("/v1/issues", headers={**viewer, "If-Modified-Since": stamp})
    assert same.status_code == 304
    async with db.writer.begin() as session:
        await make_issue(session)
    changed = await client.get("/v1/issues", headers={**viewer, "If-Modified-Since": stamp})
    assert changed.status_code == 200


async def test_304_needs_a_key(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    etag = (await client.get("/v1/issues", headers=viewer)).headers["etag"]
    response = await client.get("/v1/issues", headers={"If-None-Match": etag})
    assert response.status_code == 401


async def test_cursor_is_stable_under_concurrent_inserts(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        for n in range(10):
            await make_issue(session, last_seen_at=BASE + timedelta(hours=n))
    first = (await client.get("/v1/issues?scope=all&limit=4", headers=viewer)).json()
    seen = [i["id"] for i in first["items"]]
    # Inserts ahead of the cursor (newer) and behind it (older) while the client pages.
    async with db.writer.begin() as session:
        await make_issue(session, last_seen_at=BASE + timedelta(hours=50))
        behind = await make_issue(session, last_seen_at=BASE - timedelta(hours=1))
        tie = await make_issue(session, last_seen_at=BASE + timedelta(hours=2))
    url = first["page"]["next"]
    while url:
        page = (await client.get(url, headers=viewer)).json()
        seen += [i["id"] for i in page["items"]]
        url = page["page"]["next"]
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(range(1, 11)) <= set(seen)  # nothing that existed was skipped
    assert behind.id in seen and tie.id in seen  # rows behind the cursor still show up


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [("-severity", "severity", True), ("last_seen_at", "last_seen_at", False)],
)
async def test_sorted_pages_follow_the_whitelisted_order(
    client: httpx.AsyncClient,
    db: Database,
    viewer: dict[str, str],
    sort: str,
    key: str,
    reverse: bool,
) -> None:
    async with db.writer.begin() as session:
        for n in range(9):
            await make_issue(
                session, severity=float(n % 4) * 10, last_seen_at=BASE + timedelta(minutes=n % 3)
            )
    rows: list[dict[str, object]] = []
    url: str | None = f"/v1/issues?scope=all&limit=2&sort={sort}"
    while url:
        page = (await client.get(url, headers=viewer)).json()
        rows += page["items"]
        url = page["page"]["next"]
    pairs = [(r[key], r["id"]) for r in rows]
    assert pairs == sorted(pairs, reverse=reverse) and len(pairs) == 9


async def test_unknown_sort_or_foreign_cursor_is_422(
    client: httpx.AsyncClient, viewer: dict[str, str], db: Database
) -> None:
    async with db.writer.begin() as session:
        for _ in range(3):
            await make_issue(session)
    assert (await client.get("/v1/issues?sort=title", headers=viewer)).status_code == 422
    page = (await client.get("/v1/issues?limit=1", headers=viewer)).json()
    cursor = page["page"]["next_cursor"]
    other = await client.get(f"/v1/issues?sort=-severity&cursor={cursor}", headers=viewer)
    assert other.status_code == 422


async def test_issue_filters_and_zones(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        for n in range(6):
            await make_issue(
                session,
                status="new" if n % 2 else "escalated",
                severity=n * 15.0,
                last_seen_at=BASE + timedelta(hours=n * 4),  # 00:00 .. 20:00 UTC on the 20th
            )
    get = lambda q: client.get(f"/v1/issues?scope=all&{q}", headers=viewer)  # noqa: E731
    assert len((await get("status=escalated")).json()["items"]) == 3
    assert len((await get("status=escalated&status=new")).json()["items"]) == 6
    assert len((await get("min_severity=30&max_severity=60")).json()["items"]) == 3
    # 2026-11-20 in Jakarta (UTC+7) is 19th 17:00 .. 20th 17:00 UTC: 00, 04, 08, 12, 16 h
    assert len((await get("since=2026-11-20&until=2026-11-20")).json()["items"]) == 5
    assert len((await get("since=2026-11-20&until=2026-11-20&tz=UTC")).json()["items"]) == 6
    assert (await get("tz=Mars/Olympus")).status_code == 422


async def test_late_commit_changes_the_etag(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str], backend: str
) -> None:
    """A transaction that took its sequence number earlier but commits after the ETag was
    issued must invalidate it, although the highest sequence number does not change."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: a lower sequence cannot commit later")
    async with db.writer() as early, db.writer() as late:
        await early.begin()
        await late.begin()
        await make_issue(early)
        await make_issue(late)
        await late.commit()
        etag = (await client.get("/v1/issues?scope=all", headers=viewer)).headers["etag"]
        await early.commit()
    response = await client.get("/v1/issues?scope=all", headers={**viewer, "If-None-Match": etag})
    assert response.status_code == 200 and len(response.json()["items"]) == 2
