"""Small typed factories for test rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.urls import url_hash
from app.models import (
    ApiKey,
    Article,
    ArticleWatchlist,
    Claim,
    Issue,
    IssueArticle,
    Role,
    Source,
    Watchlist,
    utcnow,
)
from app.services import api_keys

_counter = iter(range(1, 10**9))


async def make_source(session: AsyncSession, **overrides: Any) -> Source:
    n = next(_counter)
    url = overrides.pop("url", f"https://news{n}.example.id/rss.xml")
    values: dict[str, Any] = {
        "url": url,
        "url_hash": url_hash(url),
        "name": f"Source {n}",
        "next_check_at": utcnow(),
    }
    values.update(overrides)
    source = Source(**values)
    session.add(source)
    await session.flush()
    return source


async def make_article(session: AsyncSession, **overrides: Any) -> Article:
    n = next(_counter)
    url = overrides.pop("url", f"https://news.example.id/read/{n}")
    values: dict[str, Any] = {
        "url": url,
        "url_hash": url_hash(url),
        "title": f"Berita {n}",
        "outlet": "news.example.id",
    }
    values.update(overrides)
    article = Article(**values)
    session.add(article)
    await session.flush()
    return article


async def make_key(session: AsyncSession, role: Role = Role.ADMIN) -> tuple[ApiKey, str]:
    return await api_keys.create_key(session, role=role, name=f"test {role.value}")


async def make_issue(session: AsyncSession, **overrides: Any) -> Issue:
    n = next(_counter)
    now = utcnow()
    values: dict[str, Any] = {"title": f"Isu {n}", "first_seen_at": now, "last_seen_at": now}
    values.update(overrides)
    issue = Issue(**values)
    session.add(issue)
    await session.flush()
    return issue


async def make_watchlist(session: AsyncSession, **overrides: Any) -> Watchlist:
    n = next(_counter)
    values: dict[str, Any] = {"name": f"Daftar {n}", "query": f"kata{n}", "entity_ids": []}
    values.update(overrides)
    watchlist = Watchlist(**values)
    session.add(watchlist)
    await session.flush()
    return watchlist


async def link(
    session: AsyncSession, *, issue: Issue, article: Article, watchlists: tuple[Watchlist, ...] = ()
) -> None:
    """Put `article` in `issue` and mark it matched by `watchlists` (as the pipeline would)."""
    session.add(IssueArticle(issue_id=issue.id, article_id=article.id))
    session.add_all(ArticleWatchlist(article_id=article.id, watchlist_id=w.id) for w in watchlists)
    await session.flush()


async def make_claim(session: AsyncSession, **overrides: Any) -> Claim:
    n = next(_counter)
    url = overrides.pop("url", f"https://cekfakta.example.id/{n}")
    values: dict[str, Any] = {
        "url": url,
        "url_hash": url_hash(url),
        "claim": f"Klaim {n}",
        "verdict": "hoax",
        "verdict_label": "HOAKS",
        "publisher": "cekfakta.example.id",
    }
    values.update(overrides)
    claim = Claim(**values)
    session.add(claim)
    await session.flush()
    return claim
