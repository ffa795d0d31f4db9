"""One article's failure stays that article's: a batch that raises is retried one by one.

A stage works its queue in batches, one transaction each. When a batch raises, its work is
rolled back and redone one article at a time; an article that fails alone is set aside by the
stage's `skip` (marked done for that stage, without its result) and logged with its id and the
exception, and the queue goes on. Without this, one poison row (an impossible date stored
before the parsers bounded them, say) failed the same batch in every cycle and every article
queued behind it waited forever. A database error (locked, connection lost) is not the
article's fault: alone it is raised, never a reason to set an article aside; a row the
database refuses (a value out of range, a constraint) is (`article_fault`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database

logger = logging.getLogger(__name__)

Batch = Callable[[AsyncSession, int], Awaitable[int]]  # (session, limit) -> articles done
Skip = Callable[[AsyncSession], Awaitable[int | None]]  # sets the next article aside: its id


def article_fault(exc: BaseException) -> bool:
    """Whether `exc`, raised while working one article, can be that article's fault: anything
    but the database's own trouble (locked, gone), except a row it refused (a value out of its
    range, a constraint)."""
    return isinstance(exc, Exception) and (
        not isinstance(exc, DBAPIError) or isinstance(exc, DataError | IntegrityError)
    )


@dataclass(slots=True)
class IsolatedQueue:
    database: Database
    stage: str
    run: Batch
    skip: Skip
    batch_size: int = 200
    skipped: int = 0

    async def drain(self) -> int:
        """Work the queue until a batch comes back short; returns the articles done."""
        done = 0
        while True:
            try:
                async with self.database.writer.begin() as session:
                    count = await self.run(session, self.batch_size)
            except Exception:
                logger.warning(
                    "stage batch failed; retrying its articles one by one",
                    exc_info=True,
                    extra={"stage": self.stage},
                )
                count = await self._one_by_one()
            done += count
            if count < self.batch_size:
                return done

    async def _one_by_one(self) -> int:
        count = 0
        for _ in range(self.batch_size):
            try:
                async with self.database.writer.begin() as session:
                    one = await self.run(session, 1)
            except Exception as exc:
                if not article_fault(exc):
                    raise  # the database's trouble (locked, gone): never a reason to set aside
                async with self.database.writer.begin() as session:
                    article_id = await self.skip(session)
                self.skipped += 1
                logger.error(
                    "article set aside by a stage",
                    extra={"stage": self.stage, "article_id": article_id, "error": repr(exc)},
                )
                one = 1  # it left the queue
            if one == 0:
                break
            count += one
        return count
