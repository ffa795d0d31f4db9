"""Politeness limits on outgoing requests: a global cap, a per-host cap and per-host spacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


class HostBusy(Exception):
    """A paced request would wait longer than it may for its turn at `host`; it may start at
    `ready_at` (`time.monotonic()`) at the earliest, or later if others take the turns first."""

    def __init__(self, host: str, ready_at: float) -> None:
        super().__init__(f"{host} is not free for another {ready_at - time.monotonic():.1f} s")
        self.host = host
        self.ready_at = ready_at


@dataclass(slots=True)
class _Host:
    slots: asyncio.Semaphore
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    pace: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None
    users: int = 0
    paced: int = 0  # paced requests holding or queued for `pace`


class HostLimiter:
    """At most `per_host` requests in flight to one host, starts `min_interval` apart, and at
    most `total` requests in flight overall.

    A request may ask for a longer `interval` (a robots.txt Crawl-delay for page fetches): such
    requests to a host start at least that far apart, and that far after whatever had started
    when they began to wait. They wait for their turn before taking a host slot, so requests
    that do not ask (feed polls) are not queued behind them and keep the `min_interval` spacing.
    With `max_wait`, a paced request whose turn is further away than that (behind the paced
    requests already queued) raises `HostBusy` at once instead of queueing.

    The state is per process: several worker processes each keep their own spacing (the page
    stage's claim lease keeps them from fetching the same page, not from sharing a host).

    A host's semaphore and locks live only while requests to it wait or run, and its last start
    time only as long as it can still delay a request, so a worker polling 10,000 hosts keeps
    almost nothing per host between polls.
    """

    def __init__(self, *, total: int, per_host: int, min_interval: float) -> None:
        self.total = asyncio.Semaphore(total) if total > 0 else None
        self.per_host = per_host
        self.min_interval = min_interval
        self._longest = min_interval  # the longest spacing asked for yet: how long to remember
        self._hosts: dict[str, _Host] = {}
        self._last_start: dict[str, float] = {}
        self._prune_at = 1024

    @asynccontextmanager
    async def slot(
        self, host: str, *, interval: float = 0.0, max_wait: float | None = None
    ) -> AsyncIterator[None]:
        """Hold a request slot for `host` for the duration of the block."""
        state = self._hosts.get(host)
        if state is None:
            state = _Host(slots=asyncio.Semaphore(max(1, self.per_host)))
            state.last_start = self._last_start.pop(host, None)
            self._hosts[host] = state
        state.users += 1
        try:
            await self._take(host, state, interval, max_wait)
            try:
                if self.total is None:
                    yield
                else:
                    async with self.total:
                        yield
            finally:
                state.slots.release()
        finally:
            state.users -= 1
            if state.users == 0:
                del self._hosts[host]
                if self._longest > 0 and state.last_start is not None:
                    self._remember(host, state.last_start)

    async def _take(self, host: str, state: _Host, interval: float, max_wait: float | None) -> None:
        """Take a host slot and record the start; a paced request first waits for its turn."""
        if interval <= self.min_interval:
            await self._start(state)
            return
        self._longest = max(self._longest, interval)
        if max_wait is not None:
            now = time.monotonic()
            turn = now if state.last_start is None else max(now, state.last_start + interval)
            ready_at = turn + state.paced * interval
            if ready_at - now > max_wait:
                raise HostBusy(host, ready_at)
        state.paced += 1
        try:
            # One paced request at a time per host until it has started, so the next one
            # measures its wait from that start.
            async with state.pace:
                await _wait_until(state.last_start, interval)
                await self._start(state)
        finally:
            state.paced -= 1

    async def _start(self, state: _Host) -> None:
        await state.slots.acquire()
        try:
            if self.min_interval > 0:
                async with state.gate:
                    await _wait_until(state.last_start, self.min_interval)
                    state.last_start = time.monotonic()
            else:
                state.last_start = time.monotonic()
        except BaseException:  # cancelled while waiting: give the slot back
            state.slots.release()
            raise

    def _remember(self, host: str, started: float) -> None:
        # Keep the last start only while it still matters; prune the expired ones as we go,
        # at doubling sizes, so a minute-long horizon over 10,000 hosts stays linear.
        self._last_start[host] = started
        if len(self._last_start) > self._prune_at:
            horizon = time.monotonic() - self._longest
            self._last_start = {h: t for h, t in self._last_start.items() if t > horizon}
            self._prune_at = max(1024, 2 * len(self._last_start))


async def _wait_until(last_start: float | None, spacing: float) -> None:
    if last_start is not None:
        wait = last_start + spacing - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
