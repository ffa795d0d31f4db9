"""A polling client for the Pantau issue feed: mirror every issue locally, cheaply.

    python docs/poll_issues.py http://127.0.0.1:8000 pnt_yourkey

It follows `changed_after` (never misses a change, gets tombstones for deleted and merged
issues), sends `If-None-Match` so an unchanged feed costs a 304, and waits as long as the server
asks with `X-Poll-Interval` (shorter while `pending`, not at all while `has_more`).
tests/routers/test_polling_guide.py runs this code against the application.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Mirror:
    """The local copy: issues by id, plus where to resume and the last ETag."""

    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    merged: dict[int, int] = field(default_factory=dict)  # old id -> surviving id
    cursor: str = "0"  # "0" = from the beginning; persist it to resume after a restart
    etag: str | None = None


async def poll_once(client: httpx.AsyncClient, mirror: Mirror) -> float:
    """One request; applies what changed and returns how many seconds to wait."""
    headers = {"If-None-Match": mirror.etag} if mirror.etag else {}
    response = await client.get(
        "/v1/issues", params={"changed_after": mirror.cursor, "limit": 200}, headers=headers
    )
    interval = float(response.headers.get("X-Poll-Interval", "30"))
    if response.status_code == 304:
        return interval
    if response.status_code == 429:
        return float(response.headers.get("Retry-After", interval))
    response.raise_for_status()
    page = response.json()
    for item in page["items"]:
        if item.get("deleted"):
            mirror.issues.pop(item["id"], None)
            if item.get("merged_into") is not None:
                mirror.merged[item["id"]] = item["merged_into"]
        else:
            mirror.issues[item["id"]] = item
    mirror.cursor = page["page"]["next_cursor"]
    mirror.etag = response.headers.get("ETag")  # absent while has_more or pending
    if page["page"]["has_more"]:
        return 0.0
    if page["page"]["pending"]:
        return min(1.0, interval)
    return interval


async def main(base_url: str, key: str) -> None:
    mirror = Mirror()
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        while True:
            wait = await poll_once(client, mirror)
            print(f"{len(mirror.issues)} issues, next poll in {wait:.0f} s", file=sys.stderr)
            await asyncio.sleep(wait)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
