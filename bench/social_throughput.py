"""Posts through the whole chain (SQLite), against news items through the same chain.

    PANTAU_SHARED_DIR=../shared nice python bench/social_throughput.py [--items 400] [--claims 40]

The same texts (the shared news corpus: a headline and its lead) are served twice by a local
HTTP server: as Mastodon tag timelines (public JSON, posts) and as outlets' RSS feeds with full
content (news items, no page to fetch). A fact-check feed serves `--claims` debunks: half are
headlines of served texts tagged [HOAKS] (so they must match a document: the claim-stage recall
on headlines), half unrelated claims. Each run starts from an empty SQLite database and times
the stages as the scheduler's cycle runs them: crawl (fetch, parse, store), drain (story,
score, match, cluster), claims (stems, e5 rerank). The claim stage runs twice on the same
database, its queues and matches reset in between (`--paths`): the former path (one shared
stem makes a candidate, 600 characters of lead, encoder in this process, no cache), then one
change at a time: `+gate` (two stems), `shipped` (300 characters, each text encoded once),
`+pool` (the same with the encoder in the CPU pool's processes). Printed
per kind and path: the seconds of each stage, items/s through the whole chain, the claim
stage's share, and the headline claims matched. The last line is the posts/s figure of the
shipped path, with the former path and the news figure of the same run as its peers.
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
from typing import Any
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


# The claim paths compared, each change added to the one before: the former path, the two-stem
# gate, the shipped path (300-character lead, texts cached), and the shipped path with the
# encoder in the CPU pool's processes (not shipped: no faster on the shared machine).
PATHS = ("former", "+gate", "shipped", "+pool")


async def claim_stage(db: Any, pool: Any, *, path: str) -> tuple[float, int, int, int]:
    """(seconds, matches, headline claims matched, unrelated matches) of one claim-stage run
    from empty queues."""
    from sqlalchemy import delete, func, select, update

    from app.feed.claims import MatchConfig
    from app.models import Article, Claim, ClaimMatch
    from app.pipeline import claims as claim_pipeline

    async with db.writer.begin() as session:
        await session.execute(delete(ClaimMatch))
        await session.execute(update(Article).values(claims_checked_at=None))
        await session.execute(update(Claim).values(matched_at=None, embedding=None))
    claim_pipeline._cache.clear()  # the other kind's run serves the same texts
    stage = claim_pipeline.ClaimStage(
        database=db,
        config=MatchConfig(gate_shared=1 if path == "former" else MatchConfig().gate_shared),
        lead_chars=600 if path in ("former", "+gate") else claim_pipeline.LEAD_CHARS,
        pool=pool if path == "+pool" else None,
        cache=path in ("shipped", "+pool"),
    )
    mark = time.perf_counter()
    matches = await stage.run_pending()
    seconds = time.perf_counter() - mark
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
    return seconds, matches, headline or 0, wrong or 0


async def run(
    kind: str, rows: list[tuple[str, str, datetime]], claims: int, claim_paths: list[str]
) -> dict[str, dict[str, float]]:
    from app.crawlers.fetch import Fetcher
    from app.db import Database
    from app.migrate import upgrade
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
            began = time.perf_counter()
            outcomes = await crawler.crawl_due()
            crawl = time.perf_counter() - began
            mark = time.perf_counter()
            await crawler.fetch_pages()
            scored, grouped = await crawler.process_pending()
            drain = time.perf_counter() - mark
            out = {}
            for claim_path in claim_paths:
                seconds, matches, headline, wrong = await claim_stage(
                    db, crawler.pool, path=claim_path
                )
                out[claim_path] = {
                    "crawl": crawl,
                    "drain": drain,
                    "claims": seconds,
                    "total": crawl + drain + seconds,
                    "scored": scored,
                    "grouped": grouped,
                    "matches": matches,
                    "headline_claims": claims // 2,
                    "headline_matched": headline,
                    "unrelated": wrong,
                }
            await asyncio.to_thread(crawler.pool.shutdown)
        assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error]
        await db.dispose()
    return out


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400, help="posts (and news items) served")
    parser.add_argument("--claims", type=int, default=40, help="debunks in the fact-check feed")
    parser.add_argument(
        "--paths", nargs="+", choices=PATHS, default=list(PATHS), help="claim paths compared"
    )
    args = parser.parse_args()
    paths = args.paths
    os.environ.setdefault("PANTAU_CPU_WORKERS", "2")
    rows = texts(args.items)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    figures = {}
    for kind in ("post", "article"):
        started_load = load()
        for path, t in asyncio.run(run(kind, rows, args.claims, paths)).items():
            rate = t["scored"] / t["total"]
            share = t["claims"] / t["total"]
            figures[kind, path] = (rate, share)
            print(
                f"{kind}, {path} claim path: {int(t['scored'])} scored, {int(t['grouped'])} "
                f"grouped in {t['total']:.1f} s (crawl {t['crawl']:.1f}, drain "
                f"{t['drain']:.1f}, claims {t['claims']:.1f} s = {share:.0%}); {rate:.1f}/s; "
                f"without the claim stage {t['scored'] / (t['total'] - t['claims']):.1f}/s; "
                f"headline claims matched {int(t['headline_matched'])}/"
                f"{int(t['headline_claims'])}, unrelated claims matched {int(t['unrelated'])}, "
                f"matches {int(t['matches'])} ({started_load} -> {load()})",
                flush=True,
            )
    posts, news = figures["post", "shipped"], figures["article", "shipped"]
    former = (
        f"former claim path {figures['post', 'former'][0]:.1f} posts/s "
        f"(claims {figures['post', 'former'][1]:.0%}), "
        if "former" in paths
        else ""
    )
    print(
        f"posts through the whole chain (SQLite): {posts[0]:.1f} posts/s, claim stage "
        f"{posts[1]:.0%} of it; same run: {former}news items {news[0]:.1f}/s "
        f"(claims {news[1]:.0%}); {machine}, {load()}"
    )


if __name__ == "__main__":
    main()
