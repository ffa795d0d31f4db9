"""A news search feed (Google News RSS search), read as the publishers' articles (pure).

Google News answers `https://news.google.com/rss/search?q=<terms>&hl=id&gl=ID&ceid=ID:id` with
RSS 2.0 whose items link to the search engine (`news.google.com/rss/articles/...`), name the
publisher in `<source url="https://publisher">Publisher</source>` and end the title with
" - Publisher". The items keep the engine's link here; the crawl stage resolves each to the
publisher's URL through the fetch guard (`resolved_publisher_url`) before anything is stored, so
the outlet is the publisher and an article the outlet's own feed brought is the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote_plus, urlsplit

import lxml.etree

from app.crawlers.parsers import (
    MAX_ITEMS,
    FeedItem,
    ParsedFeed,
    ParseError,
    _tidy,
    check_xml_safety,
    html_to_text,
    item_time,
)
from app.crawlers.urls import host_of

GOOGLE_NEWS_HOSTS = frozenset({"news.google.com"})


GOOGLE_NEWS = "https://news.google.com"
REDDIT = "https://www.reddit.com"
BLUESKY = "https://public.api.bsky.app"


def google_news_search_url(terms: str, *, base: str = GOOGLE_NEWS) -> str:
    """The Indonesian-edition Google News RSS search for `terms`."""
    return f"{base.rstrip('/')}/rss/search?q={quote_plus(terms)}&hl=id&gl=ID&ceid=ID:id"


def reddit_search_url(terms: str, *, base: str = REDDIT) -> str:
    return f"{base.rstrip('/')}/search.rss?q={quote_plus(terms)}&sort=new"


def bluesky_search_url(terms: str, *, base: str = BLUESKY) -> str:
    return (
        f"{base.rstrip('/')}/xrpc/app.bsky.feed.searchPosts"
        f"?q={quote_plus(terms)}&sort=latest&limit=50"
    )


# A watchlist's search platforms: the source kind that reads each, and its search URL.
SEARCH_PLATFORMS: dict[str, tuple[str, Callable[..., str]]] = {
    "google_news": ("news_search", google_news_search_url),
    "reddit": ("reddit", reddit_search_url),
    "bluesky": ("bluesky", bluesky_search_url),
}
MAX_TERMS_CHARS = 400  # search engines cut longer queries anyway


def search_query(names: Sequence[str]) -> str:
    """One search query for an entity's name and aliases: `"Kota Batu" OR Bumiaji` (phrases
    quoted; Google News, Reddit and Bluesky's Lucene-style search all read OR), cut at a
    whole name to `MAX_TERMS_CHARS`."""
    parts: list[str] = []
    seen: set[str] = set()
    for name in names:
        clean = " ".join(name.replace('"', " ").split())
        if not clean or clean.casefold() in seen:
            continue
        part = f'"{clean}"' if " " in clean else clean
        if parts and len(" OR ".join([*parts, part])) > MAX_TERMS_CHARS:
            break
        parts.append(part[:MAX_TERMS_CHARS])
        seen.add(clean.casefold())
    return " OR ".join(parts)


def _strip_publisher(title: str, publisher: str | None) -> str:
    if publisher:
        for sep in (" - ", " – ", " | "):
            suffix = f"{sep}{publisher}"
            if title.endswith(suffix):
                return title[: -len(suffix)].rstrip()
    return title


def parse_news_search(
    body: bytes,
    *,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """The items of a news search feed, each naming its publisher."""
    del headers  # the body says what it is
    if not body.strip():
        raise ParseError("empty response body where a news search feed was expected")
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, load_dtd=False
    )
    try:
        root = lxml.etree.fromstring(body.lstrip(b"\xef\xbb\xbf \t\r\n"), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        message = f"invalid XML where a news search feed was expected: {exc}"
        raise ParseError(message[:500]) from None
    if root.tag != "rss" or root.find("channel") is None:
        raise ParseError(f"not a news search feed (root element <{root.tag}>, RSS 2.0 expected)")
    channel = root.find("channel")
    feed = ParsedFeed(title=channel.findtext("title"), format="news-search-rss")
    nodes = channel.findall("item")
    if len(nodes) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(nodes) - max_items)
    for node in nodes[:max_items]:
        link = (node.findtext("link") or "").strip()
        if not link:
            feed.skip("search item without a link")
            continue
        source = node.find("source")
        publisher = _tidy(source.text or "") if source is not None and source.text else None
        publisher_url = source.get("url") if source is not None else None
        title = _strip_publisher(_tidy(node.findtext("title") or "") or "", publisher)
        summary = html_to_text(node.findtext("description"))
        if summary and publisher and summary.endswith(publisher):  # "Title  Publisher"
            summary = None  # Google's description is the title and the publisher again
        published, trusted, note = item_time(_rfc822(node.findtext("pubDate")), now=now)
        item = FeedItem(
            url=link,
            guid=(node.findtext("guid") or "").strip()[:2000] or None,
            title=title,
            summary=summary,
            published=published,
            published_trusted=trusted,
            note=note,
            publisher=publisher,
            publisher_url=publisher_url,
        )
        if note:
            feed.skip(note)
        feed.items.append(item)
    return feed


def _rfc822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip()[:64])
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


def needs_resolving(item: FeedItem) -> bool:
    """Whether the item links to the search engine rather than to its publisher."""
    return (urlsplit(item.url).hostname or "") in GOOGLE_NEWS_HOSTS or (
        item.publisher_url is not None and not _same_site(item.url, item.publisher_url)
    )


def _same_site(url: str, site: str) -> bool:
    """`url` is on `site`'s host or a subdomain of it (nasional.kompas.com on kompas.com)."""
    host, expected = host_of(url), host_of(site)
    return bool(expected) and (host == expected or host.endswith("." + expected))


def resolved_publisher_url(item: FeedItem, final_url: str) -> str | None:
    """The publisher's URL the engine's link led to, or None when it led elsewhere (still the
    engine: a consent or JavaScript page; or a host that is not the named publisher's)."""
    host = urlsplit(final_url).hostname or ""
    if host in GOOGLE_NEWS_HOSTS:
        return None
    if item.publisher_url and not _same_site(final_url, item.publisher_url):
        return None
    return final_url
