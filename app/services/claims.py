"""Fact-checked claims: storage, the documents that repeat them, and the API's queries.

Claims come from fact-check sources (crawlers/factcheck.py) and are inserted on their debunk
URL's hash, so a re-poll never doubles them. The claim-match stage (pipeline/claims.py) pairs
them with articles and posts (feed/claims.py: candidate retrieval, then an e5 rerank) and writes
`claim_matches` rows here, insert-or-ignore on (claim, article).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.crawlers.factcheck import DEBUNKED
from app.db import insert_or_ignore, one_of, skip_claimed
from app.errors import NotFound
from app.models import Article, Claim, ClaimMatch, IssueArticle, Source, utcnow


async def insert_claims(session: AsyncSession, *, rows: list[dict[str, Any]]) -> list[int]:
    """Insert claim rows not seen before (by debunk URL); return the new claims' ids."""
    if not rows:
        return []
    statement = insert_or_ignore(session, Claim, index_elements=["url_hash"]).returning(Claim.id)
    return sorted((await session.scalars(statement, rows)).all())


@dataclass(frozen=True, slots=True)
class ClaimText:
    id: int
    text: str
    embedding: bytes | None
    published_at: datetime


@dataclass(frozen=True, slots=True)
class DocText:
    id: int
    text: str
    published_at: datetime
    headline: str = ""  # the title alone, when the text holds more than it


# Characters of a document's text after its title that are matched: the lead. The encoder's
# cost grows with the text (e5-small: 2.2 texts/s at 600 characters, 4.1 at 300, 14.5 for a
# headline alone on the shared 2-CPU machine), and a text spreading a claim makes it up front.
LEAD_CHARS = 300


# The advisory-lock namespaces of the claim-match stage's two queues: documents ("cldo") and
# claims ("clcl"); `db.skip_claimed`.
DOCUMENTS_NAMESPACE = 0x636C646F
CLAIMS_NAMESPACE = 0x636C636C


async def claim_documents(
    session: AsyncSession, *, limit: int, lead_chars: int = LEAD_CHARS
) -> list[DocText]:
    """Scored documents the claim-match stage has not read yet, oldest first, claimed for this
    transaction: another worker's claim skips them until it ends (`db.skip_claimed`), so the
    workers split the queue instead of all matching, and marking, the same documents."""
    pending = (
        select(Article.id)
        .where(Article.claims_checked_at.is_(None), Article.scored_at.is_not(None))
        .order_by(Article.id)
    )
    claimed = skip_claimed(session, pending, namespace=DOCUMENTS_NAMESPACE, limit=limit)
    ids = list((await session.scalars(claimed)).all())
    if not ids:
        return []
    rows = await session.execute(
        select(Article.id, Article.title, Article.summary, Article.body, Article.published_at)
        .where(one_of(session, Article.id, ids))
        .order_by(Article.id)
    )
    return _texts(rows, lead_chars)


def _texts(rows: Any, lead_chars: int) -> list[DocText]:
    return [
        DocText(i, document_text(t, s, b, lead_chars), p, headline(t, s, b, lead_chars))
        for i, t, s, b, p in rows
    ]


def document_text(
    title: str | None, summary: str | None, body: str | None, lead_chars: int = LEAD_CHARS
) -> str:
    """What a document is matched on: its title and the start of its text."""
    text = body or summary or ""
    head = text[:lead_chars]
    return f"{title or ''}\n{head}".strip() if title and not head.startswith(title) else head


def headline(
    title: str | None, summary: str | None, body: str | None, lead_chars: int = LEAD_CHARS
) -> str:
    """The title, matched on its own too: a headline repeating a claim is diluted by the lead
    it comes with (e5 rates a claim against its own headline plus lead 0.89-0.93, below the
    band that matches). Empty when the title is all the text there is."""
    title = (title or "").strip()
    return title if title and title != document_text(title, summary, body, lead_chars) else ""


async def recent_documents(
    session: AsyncSession, *, since: datetime, limit: int, lead_chars: int = LEAD_CHARS
) -> list[DocText]:
    """Already checked documents published since `since`: a new claim is matched on them."""
    rows = await session.execute(
        select(Article.id, Article.title, Article.summary, Article.body, Article.published_at)
        .where(
            Article.published_at >= since,
            Article.claims_checked_at.is_not(None),
            Article.deleted_at.is_(None),
        )
        .order_by(Article.published_at.desc())
        .limit(limit)
    )
    return _texts(rows, lead_chars)


async def mark_documents(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> set[int]:
    """Mark the documents checked; returns those this call marked. A document another worker
    marked first (its claim ended as this one's began) is left as it is."""
    return await _mark_pending(session, Article.id, Article.claims_checked_at, ids=ids, now=now)


async def _mark_pending(
    session: AsyncSession,
    key: InstrumentedAttribute[int],
    stamp: InstrumentedAttribute[datetime | None],
    *,
    ids: Sequence[int],
    now: datetime,
) -> set[int]:
    """Set `stamp` to `now` on the rows of `ids` where it is still unset; the ids it set."""
    if not ids:
        return set()
    marked = await session.scalars(
        update(key.class_)
        .where(one_of(session, key, ids), stamp.is_(None))
        .values({stamp: now})
        .returning(key)
    )
    return set(marked.all())


async def active_claims(session: AsyncSession, *, since: datetime) -> list[ClaimText]:
    """Claims published since `since` (a hoax resurfaces for months, so the window is long)."""
    rows = await session.execute(
        select(Claim.id, Claim.claim, Claim.embedding, Claim.published_at).where(
            Claim.published_at >= since
        )
    )
    return [ClaimText(i, c, e, p) for i, c, e, p in rows]


async def claim_pending_claims(session: AsyncSession, *, limit: int) -> list[ClaimText]:
    """Claims not matched yet, oldest first, claimed for this transaction (as
    `claim_documents`)."""
    pending = select(Claim.id).where(Claim.matched_at.is_(None)).order_by(Claim.id)
    claimed = skip_claimed(session, pending, namespace=CLAIMS_NAMESPACE, limit=limit)
    ids = list((await session.scalars(claimed)).all())
    if not ids:
        return []
    rows = await session.execute(
        select(Claim.id, Claim.claim, Claim.embedding, Claim.published_at)
        .where(one_of(session, Claim.id, ids))
        .order_by(Claim.id)
    )
    return [ClaimText(i, c, e, p) for i, c, e, p in rows]


async def save_embeddings(session: AsyncSession, *, embeddings: dict[int, bytes]) -> None:
    for claim_id, blob in embeddings.items():
        await session.execute(update(Claim).where(Claim.id == claim_id).values(embedding=blob))


async def mark_claims(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> set[int]:
    """Mark the claims matched; returns those this call marked (as `mark_documents`)."""
    return await _mark_pending(session, Claim.id, Claim.matched_at, ids=ids, now=now)


async def save_matches(
    session: AsyncSession, *, matches: Sequence[tuple[int, int, float, float]], now: datetime
) -> int:
    """(claim id, article id, score, lexical) rows; returns how many were new."""
    if not matches:
        return 0
    rows = [
        {"claim_id": c, "article_id": a, "score": s, "lexical": lx, "matched_at": now}
        for c, a, s, lx in matches
    ]
    statement = insert_or_ignore(session, ClaimMatch).returning(ClaimMatch.claim_id)
    return len((await session.scalars(statement, rows)).all())


# --- reads -------------------------------------------------------------------------------------


async def list_claims(
    session: AsyncSession,
    *,
    verdict: str | None = None,
    matched: bool | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[tuple[Claim, int]]:
    """Claims newest first with their match counts."""
    counts = (
        select(ClaimMatch.claim_id, func.count().label("n"))
        .group_by(ClaimMatch.claim_id)
        .subquery()
    )
    query = (
        select(Claim, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.claim_id == Claim.id)
        .order_by(Claim.id.desc())
        .limit(limit)
    )
    if verdict:
        query = query.where(Claim.verdict == verdict)
    if matched is True:
        query = query.where(counts.c.n > 0)
    elif matched is False:
        query = query.where(counts.c.n.is_(None))
    if before_id is not None:
        query = query.where(Claim.id < before_id)
    return [(c, int(n)) for c, n in (await session.execute(query)).all()]


async def get_claim(session: AsyncSession, *, claim_id: int) -> Claim:
    claim = await session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    return claim


async def claim_matches(
    session: AsyncSession, *, claim_id: int, limit: int = 100
) -> list[tuple[ClaimMatch, Article, str | None]]:
    """The documents repeating a claim, best match first, with their source's name."""
    rows = await session.execute(
        select(ClaimMatch, Article, Source.name)
        .join(Article, Article.id == ClaimMatch.article_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(ClaimMatch.claim_id == claim_id, Article.deleted_at.is_(None))
        .order_by(ClaimMatch.score.desc(), Article.published_at.desc())
        .limit(limit)
    )
    return [(m, a, n) for m, a, n in rows.all()]


async def issue_debunks(
    session: AsyncSession, *, issue_ids: Sequence[int]
) -> dict[int, list[tuple[Claim, int, float]]]:
    """Per issue: the debunked claims its documents repeat, (claim, documents, best score)."""
    if not issue_ids:
        return {}
    rows = await session.execute(
        select(
            IssueArticle.issue_id,
            Claim,
            func.count(ClaimMatch.article_id),
            func.max(ClaimMatch.score),
        )
        .join(ClaimMatch, ClaimMatch.article_id == IssueArticle.article_id)
        .join(Claim, Claim.id == ClaimMatch.claim_id)
        .where(IssueArticle.issue_id.in_(issue_ids), Claim.verdict.in_(sorted(DEBUNKED)))
        .group_by(IssueArticle.issue_id, Claim.id)
        .order_by(IssueArticle.issue_id, func.max(ClaimMatch.score).desc())
    )
    out: dict[int, list[tuple[Claim, int, float]]] = {}
    for issue_id, claim, n, best in rows.all():
        out.setdefault(int(issue_id), []).append((claim, int(n), float(best)))
    return out


def since(days: int, *, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)
