"""The process pool for CPU-heavy stages: one per process, bounded, reused, fed with batches.

Extraction (trafilatura) is pure-Python CPU work; threads would serialise on the GIL, so batches
go to worker processes, one per core by default. The pool is started lazily with `forkserver`
(forking a process that runs an event loop and database pools is unsafe) and reused for the
life of the process; each worker imports the extractor once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def _warm(parent: int, setup: Callable[[], None] | None) -> None:
    # Pay the imports once per worker, not per batch: extraction and feed parsing.
    import app.crawlers.discover
    import app.crawlers.extract  # noqa: F401

    if setup is not None:
        setup()

    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """Exit once the process that owns the pool is gone.

    A parent killed with SIGKILL cannot shut its pool down, and the workers (children of the
    forkserver, not of the parent) would live on holding their memory.
    """
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except (ProcessLookupError, PermissionError):  # gone (or its id reused by another user)
            os._exit(0)


class CpuPool:
    """A lazily started process pool; `workers=0` runs batches inline (tests, one-off commands)."""

    def __init__(
        self, workers: int | None = None, *, setup: Callable[[], None] | None = None
    ) -> None:
        self.workers = default_workers() if workers is None else workers
        # Run once in each worker process as it starts (picklable: a module-level function or
        # a partial of one), for per-process state such as the encoder's thread count.
        self.setup = setup
        self._executor: Executor | None = None

    def _get(self) -> Executor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_warm,
                initargs=(os.getpid(), self.setup),
            )
        return self._executor

    async def map_batch(self, function: Callable[[list[T]], list[R]], batch: list[T]) -> list[R]:
        """Run `function(batch)` in a worker process (or inline when the pool has no workers)."""
        if not batch:
            return []
        if self.workers == 0:
            return function(batch)
        loop = asyncio.get_running_loop()
        executor = self._get()
        try:
            return await loop.run_in_executor(executor, function, batch)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): this batch fails, the next gets a new pool.
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise

    def spread(
        self, function: Callable[[list[T]], list[R]]
    ) -> Callable[[list[T]], Awaitable[list[R]]] | None:
        """`function` over a batch split into one chunk per worker process (None without
        workers: the caller then runs it in a thread)."""
        if self.workers < 1:
            return None

        async def run(batch: list[T]) -> list[R]:
            size = -(-len(batch) // self.workers)
            chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
            done = await asyncio.gather(*(self.map_batch(function, c) for c in chunks))
            return [value for chunk in done for value in chunk]

        return run

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


_shared: CpuPool | None = None


def shared_pool(workers: int | None = None, *, setup: Callable[[], None] | None = None) -> CpuPool:
    """The process-wide pool every crawler in this process uses; ``workers`` (None: one per
    core) and ``setup`` configure it when this is the first call."""
    global _shared
    if _shared is None:
        _shared = CpuPool(workers, setup=setup)
    return _shared
