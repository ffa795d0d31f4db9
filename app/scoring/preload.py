"""Imported by the CPU pool's forkserver before it forks its workers (crawlers/pool.py): the
shipped model is loaded once there, and every worker shares its arrays instead of loading its
own copy. The sentence encoder is left to load in each worker on first use (it starts threads,
which a fork does not carry over)."""

import gc

from app.scoring.worker import preload

preload()
# Out of the collector's sight: a collection in a worker writes to every object it tracks,
# which would copy the forkserver's pages into each worker.
gc.freeze()
