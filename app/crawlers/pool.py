"""The process pool for CPU-heavy stages: one per process, bounded, reused, fed with batches.

Extraction (trafilatura) is pure-Python CPU work; threads would serialise on the GIL, so batches
go to worker processes, one per core by default. The pool (pebble's, for its per-task time limit
that kills the worker) is started lazily with `forkserver`
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
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # imported when the pool starts: a command with no CPU work never needs it
    import pebble

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def _warm(parent: int, setup: Callable[[], None] | None) -> None:
    # Pay the imports once per worker, not per batch: extraction and feed parsing.
    import trafilatura  # noqa: F401  # extract.py imports it on first use

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


# Imported by the forkserver before it forks any worker (a module that fails to import is
# skipped); `app.scoring.preload` loads the shipped model's arrays, not the encoder, whose
# threads would not survive a fork.
PRELOAD = ("app.crawlers.discover", "app.crawlers.extract", "app.scoring.preload")


class PoolTimeout(Exception):
    """A batch ran past its wall-clock limit; its worker process was killed and replaced."""


class CpuPool:
    """A lazily started process pool; `workers=0` runs batches inline (tests, one-off commands).

    Built on pebble's ProcessPool: a batch given a `timeout` that runs past it has its worker
    process killed (not abandoned: the CPU and memory come back) and a fresh worker takes its
    place, so one hostile document cannot pin a core or hang the pool's shutdown.
    """

    def __init__(
        self, workers: int | None = None, *, setup: Callable[[], None] | None = None
    ) -> None:
        self.workers = default_workers() if workers is None else workers
        # Run once in each worker process as it starts (picklable: a module-level function or
        # a partial of one), for per-process state such as the encoder's thread count.
        self.setup = setup
        self._executor: pebble.ProcessPool | None = None

    def _get(self) -> pebble.ProcessPool:
        import pebble

        if self._executor is None or not self._executor.active:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from the forkserver: what it loaded first (the parsers, the
            # extractor, the scoring model's arrays) they share instead of each loading a copy
            # (a worker was ~235 MB, the model ~95 MB of it). Used before the server starts.
            context.set_forkserver_preload(list(PRELOAD))
            self._executor = pebble.ProcessPool(
                max_workers=self.workers,
                context=context,
                initializer=_warm,
                initargs=(os.getpid(), self.setup),
            )
        return self._executor

    async def map_batch(
        self,
        function: Callable[[list[T]], list[R]],
        batch: list[T],
        *,
        time_limit: float | None = None,
    ) -> list[R]:
        """Run `function(batch)` in a worker process (or inline when the pool has no workers).

        Past `time_limit` seconds the worker is killed and PoolTimeout raised (inline runs have no
        limit: there is no process to kill). A worker that dies raises BrokenProcessPool.
        """
        if not batch:
            return []
        if self.workers == 0:
            return function(batch)
        from pebble import ProcessExpired

        future = self._get().schedule(function, args=(batch,), timeout=time_limit)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise PoolTimeout(
                f"took longer than {time_limit:g} s; its worker was stopped"
            ) from None
        except ProcessExpired as exc:  # killed, out of memory
            raise BrokenProcessPool(f"a worker process died ({exc})") from None
        except asyncio.CancelledError:
            future.cancel()  # type: ignore[no-untyped-call]  # pebble is unannotated; stops the worker
            raise

    def spread(
        self,
        function: Callable[[list[T]], list[R]],
        *,
        time_limit: Callable[[int], float] | None = None,
    ) -> Callable[[list[T]], Awaitable[list[R]]] | None:
        """`function` over a batch split into one chunk per worker process (None without
        workers: the caller then runs it in a thread). `time_limit(n)` is the wall-clock limit
        of a chunk of n items (`map_batch`)."""
        if self.workers < 1:
            return None

        async def run(batch: list[T]) -> list[R]:
            size = -(-len(batch) // self.workers)
            chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
            done = await asyncio.gather(
                *(
                    self.map_batch(
                        function, c, time_limit=time_limit(len(c)) if time_limit else None
                    )
                    for c in chunks
                )
            )
            return [value for chunk in done for value in chunk]

        return run

    def shutdown(self, *, grace: float = 10.0) -> None:
        """Stop the workers: running batches get `grace` seconds, then the workers are killed
        (a stuck batch never hangs a command's exit)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        executor.close()  # type: ignore[no-untyped-call]  # pebble is unannotated
        try:
            executor.join(timeout=grace)
        except TimeoutError:
            executor.stop()  # type: ignore[no-untyped-call]  # pebble is unannotated
            executor.join(timeout=grace)


_shared: CpuPool | None = None


def shared_pool(workers: int | None = None, *, setup: Callable[[], None] | None = None) -> CpuPool:
    """The process-wide pool every crawler in this process uses; ``workers`` (None: one per
    core) and ``setup`` configure it when this is the first call."""
    global _shared
    if _shared is None:
        _shared = CpuPool(workers, setup=setup)
    return _shared
