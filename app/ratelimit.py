"""Token buckets per API key (and per client address for failed keys): in-process, so each
worker enforces the limit on its own share."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int  # until one more request is allowed (0 when allowed)

    def headers(self, window_seconds: int = 60) -> dict[str, str]:
        values = {
            "Limit": str(self.limit),
            "Remaining": str(self.remaining),
            "Reset": str(self.reset_seconds),
        }
        headers = {f"RateLimit-{k}": v for k, v in values.items()}
        headers.update({f"X-RateLimit-{k}": v for k, v in values.items()})
        headers["RateLimit-Policy"] = f"{self.limit};w={window_seconds}"
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """`per_minute` requests per key on average, bursts of up to `burst`."""

    def __init__(
        self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def peek(self, key_id: Hashable) -> Verdict:
        """What `take` would answer, without taking a token."""
        return self._verdict(key_id, spend=False)

    def take(self, key_id: Hashable) -> Verdict:
        return self._verdict(key_id, spend=True)

    def _verdict(self, key_id: Hashable, *, spend: bool) -> Verdict:
        now = self._clock()
        tokens, at = self._buckets.get(key_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self._rate)
        allowed = tokens >= 1.0
        if allowed and spend:
            tokens -= 1.0
        self._buckets[key_id] = (tokens, now)
        if len(self._buckets) > 100_000:  # idle keys refill to full anyway; forget them
            self._buckets = {key_id: (tokens, now)}
        return Verdict(
            allowed=allowed,
            limit=self.burst,
            remaining=int(tokens),
            reset_seconds=math.ceil((self.burst - tokens) / self._rate),
            retry_after=0 if allowed else max(1, math.ceil((1.0 - tokens) / self._rate)),
        )
