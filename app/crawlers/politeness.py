"""Politeness limits on outgoing requests: a global cap, a per-host cap and per-host spacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Host:
    slots: asyncio.Semaphore
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    users: int = 0


class HostLimiter:
    """At most `per_host` requests in flight to one host, starts `min_interval` apart,
    and at most `total` requests in flight overall.

    A host's semaphore and lock live only while requests to it wait or run, and its last start
    time only as long as it still delays the next request, so a worker polling 10,000 hosts
    keeps almost nothing per host between polls.
    """

    def __init__(self, *, total: int, per_host: int, min_interval: float) -> None:
        self.total = asyncio.Semaphore(total) if total > 0 else None
        self.per_host = per_host
        self.min_interval = min_interval
        self._hosts: dict[str, _Host] = {}
        self._last_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold a request slot for `host` for the duration of the block."""
        state = self._hosts.get(host)
        if state is None:
            state = _Host(slots=asyncio.Semaphore(max(1, self.per_host)))
            state.next_start = self._last_start.pop(host, 0.0) + self.min_interval
            self._hosts[host] = state
        state.users += 1
        try:
            async with state.slots:
                if self.min_interval > 0:
                    async with state.gate:
                        wait = state.next_start - time.monotonic()
                        if wait > 0:
                            await asyncio.sleep(wait)
                        state.next_start = time.monotonic() + self.min_interval
                if self.total is None:
                    yield
                else:
                    async with self.total:
                        yield
        finally:
            state.users -= 1
            if state.users == 0:
                del self._hosts[host]
                if self.min_interval > 0:
                    self._remember(host, state.next_start - self.min_interval)

    def _remember(self, host: str, started: float) -> None:
        # Keep the last start only while it still matters; prune the expired ones as we go.
        self._last_start[host] = started
        if len(self._last_start) > 1024:
            horizon = time.monotonic() - self.min_interval
            self._last_start = {h: t for h, t in self._last_start.items() if t > horizon}
