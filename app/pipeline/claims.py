"""The claim-match stage: pair fact-checked claims with the articles and posts that repeat them.

Two queues, both in the database: scored documents not yet checked (`claims_checked_at`), and
claims not yet matched (`matched_at`). A new claim is embedded once (stored on its row) and
matched against the documents of the last `lookback_days`; a new document against the claims
of the last `claim_days` (hoaxes come back for months). Matching is feed/claims.py: stems pick
candidates, so only a document sharing a stem with some claim is encoded at all, then the e5
rerank decides. The encoder runs in a thread (it holds its own lock); each batch's writes are
one transaction, so a crash leaves the rest pending and a re-run only inserts-or-ignores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.db import Database
from app.feed.claims import MatchConfig, candidates, from_blob, rerank, stems, to_blob
from app.models import utcnow
from app.services import claims as claim_service
from app.services.claims import ClaimText, DocText

if TYPE_CHECKING:  # numpy and the encoder are imported when there is something to match
    import numpy as np


async def embed(texts: Sequence[str]) -> np.ndarray:
    from app.scoring.encoder import Encoder

    return await asyncio.to_thread(Encoder.embed, list(texts))


@dataclass(slots=True)
class ClaimStage:
    database: Database
    config: MatchConfig = field(default_factory=MatchConfig)
    batch_size: int = 200
    claim_days: int = 365
    lookback_days: int = 14
    max_lookback_documents: int = 5000
    clock: Callable[[], datetime] = utcnow

    async def run_pending(self) -> int:
        """Match new claims, then unchecked documents, until both queues are empty; returns
        the matches written."""
        written = 0
        while True:
            async with self.database.sessionmaker() as session:
                fresh = await claim_service.pending_claims(session, limit=self.batch_size)
            if not fresh:
                break
            written += await self._new_claims(fresh)
        while True:
            async with self.database.sessionmaker() as session:
                documents = await claim_service.pending_documents(session, limit=self.batch_size)
                claims = (
                    await claim_service.active_claims(
                        session, since=self.clock() - timedelta(days=self.claim_days)
                    )
                    if documents
                    else []
                )
            if not documents:
                return written
            matches = await self._match(claims, documents)
            now = self.clock()
            async with self.database.writer.begin() as session:
                written += await claim_service.save_matches(session, matches=matches, now=now)
                await claim_service.mark_documents(session, ids=[d.id for d in documents], now=now)

    async def _new_claims(self, fresh: list[ClaimText]) -> int:
        now = self.clock()
        async with self.database.sessionmaker() as session:
            documents = await claim_service.recent_documents(
                session,
                since=now - timedelta(days=self.lookback_days),
                limit=self.max_lookback_documents,
            )
        await self._embed_claims(fresh)
        matches = await self._match(fresh, documents)
        async with self.database.writer.begin() as session:
            await claim_service.save_embeddings(
                session, embeddings={c.id: c.embedding for c in fresh if c.embedding}
            )
            written = await claim_service.save_matches(session, matches=matches, now=now)
            await claim_service.mark_claims(session, ids=[c.id for c in fresh], now=now)
        return written

    @staticmethod
    async def _embed_claims(claims: list[ClaimText]) -> None:
        """Give the claims without an embedding one, in place (the caller stores it)."""
        missing = [i for i, c in enumerate(claims) if c.embedding is None]
        if missing:
            vectors = await embed([claims[i].text for i in missing])
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
        pairs = candidates(claim_stems, document_stems)
        if not pairs:
            return []
        import numpy as np

        await self._embed_claims(claims)
        claim_vectors = np.vstack([from_blob(c.embedding or b"") for c in claims])
        wanted = sorted({j for _, j, _, _ in pairs})
        titled = [j for j in wanted if documents[j].headline]
        # One encoder call for texts and headlines: fewer, fuller batches.
        encoded = await embed(
            [documents[j].text for j in wanted] + [documents[j].headline for j in titled]
        )
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
