"""The page stage's queue: articles waiting for their full text from the article page.

An article stored without a body (a summary-only feed item, a sitemap or listing link) has
`text_state = 'pending'`. Workers lease pending rows in batches (SKIP LOCKED on PostgreSQL, a
lease in `text_claimed_until` everywhere) so no page is fetched twice at once, then store what
the extractor found. Storing applies the page's canonical URL to the article's identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.extract import PageContent
from app.crawlers.parsers import storable
from app.crawlers.rows import content_hash, title_key
from app.crawlers.urls import InvalidURLError, normalise_url, url_hash
from app.db import skip_locked
from app.models import Article, TextState
from app.services.dedup import tombstoned

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=10)
PAGE_QUEUE_FULL = "the source's page queue is full"


async def cap_pending_pages(
    session: AsyncSession, *, source_id: int, new_ids: Sequence[int], limit: int
) -> int:
    """Keep at most `limit` of the source's articles waiting for their page: those of
    `new_ids` past it, last stored first, are not queued (text_state failed, scored on their
    summary, `text_error` says why). Returns how many were not queued.

    A feed naming 100,000 new links a poll (or a few thousand every poll, on a host that
    answers slowly) would otherwise grow the queue without end, ahead of every other source.
    """
    if not new_ids:
        return 0
    waiting = await session.scalar(
        select(func.count())
        .select_from(Article)
        .where(Article.source_id == source_id, Article.text_state == TextState.PENDING)
    )
    excess = int(waiting or 0) - limit
    if excess <= 0:
        return 0
    over = list(
        (
            await session.scalars(
                select(Article.id)
                .where(Article.id.in_(list(new_ids)), Article.text_state == TextState.PENDING)
                .order_by(Article.id.desc())
                .limit(excess)
            )
        ).all()
    )
    if over:
        await session.execute(
            update(Article)
            .where(Article.id.in_(over))
            .values(
                text_state=TextState.FAILED,
                text_error=f"page not fetched: {PAGE_QUEUE_FULL} ({limit} pages waiting)",
            )
        )
    return len(over)


@dataclass(frozen=True, slots=True)
class PageJob:
    article_id: int
    url: str
    attempts: int


async def claim_pending_pages(
    session: AsyncSession, *, now: datetime, limit: int, lease_seconds: int
) -> list[PageJob]:
    """Lease up to `limit` articles whose page must be fetched (oldest first)."""
    due = (
        select(Article.id)
        .where(
            Article.text_state == TextState.PENDING,
            Article.deleted_at.is_(None),
            or_(Article.text_claimed_until.is_(None), Article.text_claimed_until < now),
        )
        .order_by(Article.id)
        .limit(limit)
    )
    due = skip_locked(session, due)
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    claimed = await session.execute(
        update(Article)
        .where(Article.id.in_(ids))
        .values(
            text_claimed_until=now + timedelta(seconds=lease_seconds),
            text_attempts=Article.text_attempts + 1,
        )
        .returning(Article.id, Article.url, Article.text_attempts)
    )
    return sorted(
        (PageJob(article_id=i, url=u, attempts=a) for i, u, a in claimed.all()),
        key=lambda job: job.article_id,
    )


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What the extractor found on one leased article's page."""

    article_id: int
    content: PageContent
    final_url: str
    signature: bytes | None


async def store_pages(
    session: AsyncSession, outcomes: Sequence[PageOutcome], *, now: datetime
) -> list[str]:
    """Apply a batch of extractions; one result per outcome: 'done', 'duplicate', 'tombstoned'
    or 'gone'.

    The batch's rows are read in one query and held here (the session's identity map holds
    them only weakly), and written in one flush, which the ORM sends as one executemany per
    set of changed columns rather than one UPDATE per page.
    """
    rows = await session.scalars(
        select(Article).where(Article.id.in_([outcome.article_id for outcome in outcomes]))
    )
    articles = {article.id: article for article in rows}
    results = []
    with session.no_autoflush:
        for outcome in outcomes:
            article = articles.get(outcome.article_id)
            if article is None or article.deleted_at is not None:
                results.append("gone")
            else:
                results.append(await _store(session, article, outcome, now=now))
    await session.flush()
    return results


async def _store(
    session: AsyncSession, article: Article, outcome: PageOutcome, *, now: datetime
) -> str:
    content = outcome.content
    canonical = content.canonical_url or outcome.final_url
    identity = await _identity(session, article, canonical, now=now)
    if identity != "done":
        return identity
    text = storable(content.text)
    if text:
        article.body = text
        article.text_state = TextState.DONE
        article.text_error = None
        article.minhash = outcome.signature
    else:
        article.text_state = TextState.FAILED
        article.text_error = "no article text found on the page"
    title, author = storable(content.title), storable(content.author)
    if title and not article.title:
        article.title = title[:2000]
        article.title_key = title_key(title)
    article.author = article.author or (author[:300] if author else None)
    article.language = article.language or content.language
    if content.published is not None and not article.published_trusted:
        # The page's own date beats a missing or untrusted feed date; a trusted feed date stays.
        article.published_at = content.published
        article.published_trusted = content.published_trusted
    article.content_hash = content_hash(article.title, article.body or article.summary)
    article.text_claimed_until = None
    return "done"


async def _identity(
    session: AsyncSession, article: Article, canonical: str, *, now: datetime
) -> str:
    """Move the article to its canonical URL, or retire it as a copy of the one already there."""
    if canonical == article.url:  # the common case: stored URLs are normalised already
        return "done"
    try:
        url = normalise_url(canonical)
    except InvalidURLError:
        return "done"
    key = url_hash(url)
    if key == article.url_hash:
        return "done"
    if await tombstoned(session, [key]):
        _retire(article, now=now, reason="its canonical URL was deleted by an analyst")
        return "tombstoned"
    other = await session.scalar(select(Article.id).where(Article.url_hash == key))
    if other is None:
        try:
            async with session.begin_nested():
                await session.execute(
                    update(Article).where(Article.id == article.id).values(url=url, url_hash=key)
                )
            article.url, article.url_hash = url, key
            return "done"
        except IntegrityError:  # another worker stored the canonical URL just now
            await session.refresh(article)
            other = await session.scalar(select(Article.id).where(Article.url_hash == key))
    _retire(article, now=now, reason=f"same canonical URL as article {other}")
    article.duplicate_of_id = other
    return "duplicate"


def _retire(article: Article, *, now: datetime, reason: str) -> None:
    # Kept (deleted) rather than removed: its URL hash keeps the feed from importing it again.
    article.deleted_at = now
    article.text_state = TextState.DONE
    article.text_error = reason
    article.text_claimed_until = None


async def fail_page(
    session: AsyncSession, *, job: PageJob, reason: str, permanent: bool, now: datetime
) -> None:
    """Record a failed page; after the last attempt the article is scored on what it has."""
    await fail_pages(session, [(job, reason, permanent)], now=now)


async def fail_pages(
    session: AsyncSession, failures: Sequence[tuple[PageJob, str, bool]], *, now: datetime
) -> None:
    """`fail_page` for many (job, reason, permanent) at once: one executemany."""
    if not failures:
        return
    statement = (
        update(Article)
        .where(Article.id == bindparam("b_id"))
        .values(
            text_state=bindparam("b_state"),
            text_error=bindparam("b_error"),
            text_claimed_until=bindparam("b_until"),
        )
    )
    rows = []
    for job, reason, permanent in failures:
        final = permanent or job.attempts >= MAX_ATTEMPTS
        rows.append(
            {
                "b_id": job.article_id,
                "b_state": TextState.FAILED if final else TextState.PENDING,
                "b_error": (storable(reason) or "")[:1000],
                "b_until": None if final else now + RETRY_AFTER * job.attempts,
            }
        )
    connection = await session.connection()
    await connection.execute(statement, rows)


async def defer_pages(session: AsyncSession, deferred: Sequence[tuple[int, datetime]]) -> None:
    """Give leased pages (article id, when) back to the queue until then, without counting the
    claim as an attempt: their host was not free yet (a Crawl-delay), which is no failure."""
    if not deferred:
        return
    statement = (
        update(Article)
        .where(Article.id == bindparam("b_id"), Article.text_state == TextState.PENDING)
        .values(text_claimed_until=bindparam("b_until"), text_attempts=Article.text_attempts - 1)
    )
    # Through the connection: one executemany, not the ORM's bulk update by primary key.
    connection = await session.connection()
    await connection.execute(statement, [{"b_id": i, "b_until": when} for i, when in deferred])
