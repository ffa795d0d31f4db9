"""Posts through the whole chain (SQLite), against news items through the same chain.

    PANTAU_SHARED_DIR=../shared nice python bench/social_throughput.py [--items 400] [--claims 40]

The same texts (the shared news corpus: a headline and its lead) are served twice by a local
HTTP server: as Mastodon tag timelines (public JSON, posts) and as outlets' RSS feeds with full
content (news items, no page to fetch). A fact-check feed serves `--claims` debunks: half are
headlines of served texts tagged [HOAKS] (so they must match a document: the claim-stage recall
on headlines), half unrelated claims. Each run starts from an empty SQLite database and times
the stages as the scheduler's cycle runs them: crawl (fetch, parse, store), drain (story,
score, match, cluster), claims (stems, e5 rerank). Printed per kind: the seconds of each stage,
items/s through the whole chain, the claim stage's share, and the headline claims matched.
The last line is the posts/s figure with the news figure of the same run as its peer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PER_SOURCE = 40  # posts of a tag timeline page, items of a feed


def texts(n: int) -> list[tuple[str, str, datetime]]:
    """(headline, lead, published) of `n` corpus articles, newest at an hour ago."""
    from tests.farm.corpus import load_articles

    articles = load_articles(limit=n, shift_to=datetime.now(UTC) - timedelta(hours=1))
    return [(a.title, " ".join(a.paragraphs[:2])[:600], a.published_at) for a in articles]


def mastodon_page(rows: list[tuple[str, str, datetime]], start: int) -> bytes:
    statuses = [
        {
            "id": str(10**17 + start + i),
            "created_at": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "url": f"https://mastodon.example.id/@warga{(start + i) % 97}/{10**17 + start + i}",
            "content": f"<p>{escape(title)}<br>{escape(lead)}</p>",
            "replies_count": i,
            "reblogs_count": 2 * i,
            "favourites_count": 3 * i,
            "account": {"username": f"warga{(start + i) % 97}", "acct": f"warga{(start + i) % 97}"},
        }
        for i, (title, lead, when) in enumerate(rows)
    ]
    return json.dumps(statuses).encode()


def rss(title: str, items: list[tuple[str, str, str, datetime]]) -> bytes:
    """RSS 2.0 with content:encoded: (title, link, text, published)."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{escape(text[:120])}</description>"
        f"<content:encoded><![CDATA[<p>{escape(text)}</p>]]></content:encoded></item>"
        for t, link, text, when in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>https://x.example.id</link>{body}</channel></rss>"
    ).encode()


def claims_feed(rows: list[tuple[str, str, datetime]], count: int) -> bytes:
    """Half headline claims (served texts), half claims no served text makes."""
    now = datetime.now(UTC) - timedelta(days=2)
    step = max(1, len(rows) // max(1, count // 2))
    made = [f"[HOAKS] {title}" for title, _, _ in rows[::step][: count // 2]]
    made += [
        f"[SALAH] Air rebusan daun sirsak nomor {i} menyembuhkan kanker dalam sehari"
        for i in range(count - len(made))
    ]
    items = [
        (claim, f"https://cekfakta.example.id/{i}", claim, now + timedelta(minutes=i))
        for i, claim in enumerate(made)
    ]
    return rss("Cek Fakta", items)


async def run(kind: str, rows: list[tuple[str, str, datetime]], claims: int) -> dict[str, float]:
    from app.crawlers.fetch import Fetcher
    from app.db import Database
    from app.migrate import upgrade
    from app.pipeline.claims import ClaimStage
    from app.pipeline.cycle import Crawler
    from app.scoring import load_scorer
    from app.services import sources as source_service
    from app.services.feed_config import FeedConfig
    from tests.crawlers.loopback import Loopback
    from tests.fetching import local_fetch_options
    from tests.social.served import static

    routes = {"/cekfakta/feed": static(claims_feed(rows, claims), "application/rss+xml")}
    paths = []
    for start in range(0, len(rows), PER_SOURCE):
        chunk = rows[start : start + PER_SOURCE]
        if kind == "post":
            path = f"/api/v1/timelines/tag/t{start}"
            routes[path] = static(mastodon_page(chunk, start), "application/json")
        else:
            path = f"/outlet{start}/rss.xml"
            items = [
                (t, f"https://outlet{start}.example.id/read/{start + i}", lead, when)
                for i, (t, lead, when) in enumerate(chunk)
            ]
            routes[path] = static(rss(f"Outlet {start}", items), "application/rss+xml")
        paths.append(path)
    with tempfile.TemporaryDirectory() as tmp, Loopback(routes) as server:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade(db.engine)
        async with db.writer.begin() as session:
            for path in [*paths, "/cekfakta/feed"]:
                source_kind = (
                    "factcheck"
                    if path.startswith("/cek")
                    else "mastodon"
                    if kind == "post"
                    else "feed"
                )
                await source_service.create_source(
                    session,
                    data=source_service.NewSource(url=server.url(path), kind=source_kind),  # type: ignore[arg-type]
                )
        options = local_fetch_options(user_agent="PantauBench/1", allow_private_networks=True)
        scorer = load_scorer()
        async with Fetcher(options) as fetcher:
            crawler = Crawler(
                database=db,
                fetcher=fetcher,
                scorer=scorer,
                feed=FeedConfig(allow_private_networks=True),
            )
            times: dict[str, float] = {}
            began = time.perf_counter()
            outcomes = await crawler.crawl_due()
            times["crawl"] = time.perf_counter() - began
            mark = time.perf_counter()
            await crawler.fetch_pages()
            scored, grouped = await crawler.process_pending()
            times["drain"] = time.perf_counter() - mark
            mark = time.perf_counter()
            matches = await ClaimStage(database=db).run_pending()
            times["claims"] = time.perf_counter() - mark
            times["total"] = time.perf_counter() - began
            await asyncio.to_thread(crawler.pool.shutdown)
        assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error]
        from sqlalchemy import func, select

        from app.models import Claim, ClaimMatch

        async with db.sessionmaker() as session:
            headline = await session.scalar(
                select(func.count(func.distinct(ClaimMatch.claim_id)))
                .join(Claim, Claim.id == ClaimMatch.claim_id)
                .where(Claim.verdict == "hoax")
            )
            wrong = await session.scalar(
                select(func.count())
                .select_from(ClaimMatch)
                .join(Claim, Claim.id == ClaimMatch.claim_id)
                .where(Claim.verdict == "false")
            )
        await db.dispose()
    times.update(scored=scored, grouped=grouped, matches=matches)
    times.update(headline_claims=claims // 2, headline_matched=headline or 0, unrelated=wrong or 0)
    return times


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400, help="posts (and news items) served")
    parser.add_argument("--claims", type=int, default=40, help="debunks in the fact-check feed")
    args = parser.parse_args()
    os.environ.setdefault("PANTAU_CPU_WORKERS", "2")
    rows = texts(args.items)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    figures = {}
    for kind in ("post", "article"):
        started_load = load()
        t = asyncio.run(run(kind, rows, args.claims))
        rate = t["scored"] / t["total"]
        share = t["claims"] / t["total"]
        figures[kind] = (rate, share)
        print(
            f"{kind}: {int(t['scored'])} scored, {int(t['grouped'])} grouped in {t['total']:.1f} s "
            f"(crawl {t['crawl']:.1f}, drain {t['drain']:.1f}, claims {t['claims']:.1f} s = "
            f"{share:.0%}); {rate:.1f}/s; without the claim stage "
            f"{t['scored'] / (t['total'] - t['claims']):.1f}/s; headline claims matched "
            f"{int(t['headline_matched'])}/{int(t['headline_claims'])}, unrelated claims "
            f"matched {int(t['unrelated'])} ({started_load} -> {load()})",
            flush=True,
        )
    posts, news = figures["post"], figures["article"]
    print(
        f"posts through the whole chain (SQLite): {posts[0]:.1f} posts/s, claim stage "
        f"{posts[1]:.0%} of it; news items same run {news[0]:.1f}/s (claims {news[1]:.0%}); "
        f"{machine}, {load()}"
    )


if __name__ == "__main__":
    main()
