"""The claim-match stage: pair fact-checked claims with the articles and posts that repeat them.

Two queues, both in the database: scored documents not yet checked (`claims_checked_at`), and
claims not yet matched (`matched_at`). A new claim is embedded once (stored on its row) and
matched against the documents of the last `lookback_days`; a new document against the claims
of the last `claim_days` (hoaxes come back for months). Matching is feed/claims.py: stems pick
candidates, so only a document sharing two stems with some claim is encoded at all, then the
e5 rerank decides. Each batch's writes are one transaction, so a crash leaves the rest pending
and a re-run only inserts-or-ignores. Workers split both queues: a batch is claimed
(`db.skip_claimed`: advisory locks on PostgreSQL, which leave the rows writable by the other
stages while the encoder runs), and its write marks only what is still pending (`_step`).

The encoder is the stage's whole cost (bench/social_throughput.py). It runs in a thread of
this process (the engine releases the GIL), or in the CPU pool's processes when the stage is
given a pool; the cycle gives none: on the shared 2-CPU machine the pool was no faster (120
texts: 2.5/s in two workers, 3.1/s here; the stage 48 s either way on 400 posts, 65 s against
50 s on 400 news items), and each worker would map its own encoder. A document's text is
encoded once per process life (`_cache`: a new claim is matched on the
recent documents, already encoded when they were checked), a claim once (stored on its row).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.pool import CpuPool
from app.db import Database, is_postgres
from app.feed.claims import MatchConfig, candidates, from_blob, rerank, stems, to_blob
from app.models import utcnow
from app.services import claims as claim_service
from app.services.claims import LEAD_CHARS, ClaimText, DocText

if TYPE_CHECKING:  # numpy and the encoder are imported when there is something to match
    import numpy as np

# Embeddings of document texts and headlines by the text's hash: 10,000 rows of 384 float32,
# 15 MB, about two weeks of a 25-outlet office's documents (the lookback a new claim reads).
CACHE_ROWS = 10_000
_cache: OrderedDict[int, np.ndarray] = OrderedDict()


async def embed(texts: Sequence[str], pool: CpuPool | None = None) -> np.ndarray:
    """L2-normalised e5 passage embeddings of `texts`, in the pool's processes if given."""
    import numpy as np

    from app.scoring.encoder import DIM, Encoder, embed_rows

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    spread = pool.spread(embed_rows) if pool is not None else None
    if spread is None:
        return await asyncio.to_thread(Encoder.embed, list(texts))
    return np.vstack(await spread(list(texts))).astype(np.float32, copy=False)


async def embed_cached(texts: Sequence[str], pool: CpuPool | None = None) -> np.ndarray:
    """`embed`, each distinct text encoded once per process life (the last CACHE_ROWS kept)."""
    import numpy as np

    keys = [hash(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in _cache))
    if missing:
        first = dict(zip(keys, texts, strict=True))
        for key, vector in zip(
            missing, await embed([first[k] for k in missing], pool), strict=True
        ):
            _cache[key] = vector
    rows = []
    for key in keys:
        _cache.move_to_end(key)
        rows.append(_cache[key])
    while len(_cache) > CACHE_ROWS:
        _cache.popitem(last=False)
    return np.vstack(rows) if rows else await embed([], pool)


@dataclass(frozen=True, slots=True)
class _Batch:
    """A claimed batch of either queue: the claims, and the documents they are matched on."""

    claims: list[ClaimText]
    documents: list[DocText]


@dataclass(slots=True)
class ClaimStage:
    database: Database
    config: MatchConfig = field(default_factory=MatchConfig)
    batch_size: int = 200
    claim_days: int = 365
    lookback_days: int = 14
    max_lookback_documents: int = 5000
    clock: Callable[[], datetime] = utcnow
    pool: CpuPool | None = None  # None: the encoder runs in a thread of this process (measured)
    lead_chars: int = LEAD_CHARS  # of a document's text after its title (services/claims.py)
    cache: bool = True  # encode a document's text once per process (False: every batch)
    checked: int = 0  # documents this stage marked checked

    async def run_pending(self) -> int:
        """Match new claims, then unchecked documents, until both queues are empty; returns
        the matches written."""
        written = 0
        while (batch := await self._step(self._claim_claims, self._match_claims)) is not None:
            written += batch
        while (batch := await self._step(self._claim_documents, self._match_documents)) is not None:
            written += batch
        return written

    async def _step(
        self,
        claim: Callable[[AsyncSession], Awaitable[_Batch | None]],
        match: Callable[[_Batch], Awaitable[Callable[[AsyncSession], Awaitable[int]]]],
    ) -> int | None:
        """Claim a batch of one queue, match it, write it; returns the matches written, None
        when the queue is empty.

        Workers split each queue through the claim (`services/claims.py`, advisory locks on
        PostgreSQL), and the write marks only what is still pending, storing matches for what
        it marked: with any number of workers each document and claim is marked once. On
        PostgreSQL the batch is one transaction, so the claim holds while the encoder runs; on
        SQLite the batch is read, matched, then written in a short write transaction (the
        database's one write lock is not held while the encoder runs)."""
        if is_postgres(self.database.engine):
            async with self.database.writer.begin() as session:
                batch = await claim(session)
                if batch is None:
                    return None
                return await (await match(batch))(session)
        async with self.database.sessionmaker() as session:
            batch = await claim(session)
        if batch is None:
            return None
        write = await match(batch)
        async with self.database.writer.begin() as session:
            return await write(session)

    async def _claim_claims(self, session: AsyncSession) -> _Batch | None:
        fresh = await claim_service.claim_pending_claims(session, limit=self.batch_size)
        if not fresh:
            return None
        documents = await claim_service.recent_documents(
            session,
            since=self.clock() - timedelta(days=self.lookback_days),
            limit=self.max_lookback_documents,
            lead_chars=self.lead_chars,
        )
        return _Batch(fresh, documents)

    async def _match_claims(self, batch: _Batch) -> Callable[[AsyncSession], Awaitable[int]]:
        await self._embed_claims(batch.claims)
        matches = await self._match(batch.claims, batch.documents)

        async def write(session: AsyncSession) -> int:
            now = self.clock()
            ids = [c.id for c in batch.claims]
            marked = await claim_service.mark_claims(session, ids=ids, now=now)
            await claim_service.save_embeddings(
                session,
                embeddings={
                    c.id: c.embedding for c in batch.claims if c.embedding and c.id in marked
                },
            )
            mine = [m for m in matches if m[0] in marked]
            return await claim_service.save_matches(session, matches=mine, now=now)

        return write

    async def _claim_documents(self, session: AsyncSession) -> _Batch | None:
        documents = await claim_service.claim_documents(
            session, limit=self.batch_size, lead_chars=self.lead_chars
        )
        if not documents:
            return None
        since = self.clock() - timedelta(days=self.claim_days)
        return _Batch(await claim_service.active_claims(session, since=since), documents)

    async def _match_documents(self, batch: _Batch) -> Callable[[AsyncSession], Awaitable[int]]:
        matches = await self._match(batch.claims, batch.documents)

        async def write(session: AsyncSession) -> int:
            now = self.clock()
            ids = [d.id for d in batch.documents]
            marked = await claim_service.mark_documents(session, ids=ids, now=now)
            self.checked += len(marked)
            mine = [m for m in matches if m[1] in marked]
            return await claim_service.save_matches(session, matches=mine, now=now)

        return write

    async def _embed_claims(self, claims: list[ClaimText]) -> None:
        """Give the claims without an embedding one, in place (the caller stores it)."""
        missing = [i for i, c in enumerate(claims) if c.embedding is None]
        if missing:
            vectors = await embed([claims[i].text for i in missing], self.pool)
            for i, vector in zip(missing, vectors, strict=True):
                c = claims[i]
                claims[i] = ClaimText(c.id, c.text, to_blob(vector), c.published_at)

    async def _match(
        self, claims: list[ClaimText], documents: Sequence[DocText]
    ) -> list[tuple[int, int, float, float]]:
        """(claim id, document id, score, lexical) of the matching pairs. Claims without an
        embedding get one (on the list given: the caller stores it)."""
        if not claims or not documents:
            return []
        claim_stems = [stems(c.text) for c in claims]
        document_stems = [stems(d.text) for d in documents]
        pairs = candidates(claim_stems, document_stems, gate=self.config.gate_shared)
        if not pairs:
            return []
        import numpy as np

        await self._embed_claims(claims)
        claim_vectors = np.vstack([from_blob(c.embedding or b"") for c in claims])
        wanted = sorted({j for _, j, _, _ in pairs})
        titled = [j for j in wanted if documents[j].headline]
        # One encoder call for texts and headlines: fewer, fuller batches.
        texts = [documents[j].text for j in wanted] + [documents[j].headline for j in titled]
        encoded = await (embed_cached if self.cache else embed)(texts, self.pool)
        width = claim_vectors.shape[1]
        document_vectors = np.zeros((len(documents), width), dtype=np.float32)
        document_vectors[wanted] = encoded[: len(wanted)]
        headline_vectors = np.zeros((len(documents), width), dtype=np.float32)
        if titled:
            headline_vectors[titled] = encoded[len(wanted) :]
        return [
            (claims[m.claim_index].id, documents[m.document_index].id, m.score, m.lexical)
            for m in rerank(pairs, claim_vectors, document_vectors, self.config, headline_vectors)
        ]
