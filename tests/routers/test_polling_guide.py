"""The client example in docs/POLLING.md works against the application."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
from sqlalchemy import delete

from app.db import Database
from app.models import Issue
from tests.factories import make_issue

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "poll_issues.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("poll_issues", GUIDE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def _settle(example: ModuleType, client: httpx.AsyncClient, mirror: object) -> float:
    for _ in range(500):
        wait = float(await example.poll_once(client, mirror))
        if wait >= 30:  # caught up: the server's poll interval
            return wait
    raise AssertionError("the example never caught up")


async def test_polling_example_mirrors_the_feed(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    example = _example()
    client.headers.update(viewer)
    async with db.writer.begin() as session:
        ids = [(await make_issue(session)).id for _ in range(250)]  # more than one page
    mirror = example.Mirror()
    assert await _settle(example, client, mirror) == 30
    assert sorted(mirror.issues) == ids and mirror.etag
    # Nothing changed: once the cursor stops moving, every poll is a 304.
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    client.event_hooks["response"].append(record)
    for _ in range(3):
        assert await example.poll_once(client, mirror) == 30
    assert statuses[-2:] == [304, 304]
    async with db.writer.begin() as session:
        row = await session.get(Issue, ids[0])
        assert row is not None
        row.status = "escalated"
        await session.execute(delete(Issue).where(Issue.id == ids[1]))
    await _settle(example, client, mirror)
    assert mirror.issues[ids[0]]["status"] == "escalated" and ids[1] not in mirror.issues
    assert len(mirror.issues) == 249
