"""What kind of source a response is (pure): a feed, a (news) sitemap or index, a listing page.

Used when a source is registered without a kind (the API, OPML import) and when a poll fails to
parse as the source's kind (the hint in the error says what the body looks like instead). When
nothing is recognisable, `UnrecognisedSource` says what was found and what to try.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.etree
import lxml.html

from app.crawlers.charset import decode_body
from app.crawlers.links import parse_listing
from app.crawlers.parsers import (
    _HTML_START,
    ParseError,
    check_xml_safety,
    parse_feed,
    parse_sitemap,
)
from app.models.source import SourceKind

# Fewer article links than this is not a listing page (an article page links to a few others).
MIN_LISTING_LINKS = 3
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_XML_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})


class UnrecognisedSource(ParseError):
    """Nothing in the response is a feed, sitemap or listing; the message says what was found
    and what to try."""

    def __init__(self, found: str, hint: str) -> None:
        super().__init__(f"not a feed, sitemap or listing page: {found}. Try: {hint}")
        self.found = found
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Detection:
    kind: SourceKind
    format: str  # rss20, atom10, json11, sitemap, news-sitemap, sitemapindex, listing, ...
    items: int  # entries, URLs, child sitemaps or article links found
    note: str  # readable: "news sitemap with 120 URLs"


def detect_kind(
    body: bytes, *, url: str, headers: Mapping[str, str] | None = None, now: datetime
) -> Detection:
    """The kind of source `body` (fetched from `url`) is; raises UnrecognisedSource."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = headers.get("content-type", "").split(";")[0].strip() or "no content type"
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise UnrecognisedSource(
            f"an empty response ({content_type})",
            "check the URL in a browser; a feed or sitemap URL usually ends in /rss, /feed or .xml",
        )
    if stripped.startswith(b"{") or stripped.startswith(b"["):
        return _json(stripped, content_type=content_type, now=now)
    if _HTML_START.match(stripped) or content_type in ("text/html", "application/xhtml+xml"):
        return _html(body, url=url, headers=headers)
    if stripped.startswith(b"<"):
        return _xml(stripped, headers=headers, now=now)
    raise UnrecognisedSource(
        f"{len(body)} bytes of {content_type} that are neither XML, JSON nor HTML",
        "give the URL of the outlet's RSS feed, sitemap or news index page",
    )


def _json(body: bytes, *, content_type: str, now: datetime) -> Detection:
    try:
        feed = parse_feed(body, now=now)
    except ParseError as exc:
        raise UnrecognisedSource(
            f"a JSON document ({content_type}) that is not a JSON Feed ({exc})",
            "give the URL of the outlet's RSS/Atom feed or sitemap instead of an API endpoint",
        ) from None
    return Detection(SourceKind.FEED, feed.format, len(feed.items), _feed_note(feed.format, feed))


def _xml(body: bytes, *, headers: Mapping[str, str], now: datetime) -> Detection:
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=True
    )
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        root = None
        problem = str(exc)
    else:
        problem = "no root element"
    tag = lxml.etree.QName(root).localname.lower() if root is not None else ""
    if tag in ("urlset", "sitemapindex"):
        feed, children = parse_sitemap(body, now=now)
        if children:
            note = f"sitemap index of {len(children)} sitemaps"
            return Detection(SourceKind.SITEMAP, "sitemapindex", len(children), note)
        label = "news sitemap" if feed.format == "news-sitemap" else "sitemap"
        note = f"{label} with {len(feed.items)} URLs"
        return Detection(SourceKind.SITEMAP, feed.format, len(feed.items), note)
    try:
        feed = parse_feed(body, headers=headers, now=now)
    except ParseError as exc:
        found = f"an XML document with root <{tag}>" if tag else f"unreadable XML ({problem})"
        if tag in _XML_FEED_ROOTS:
            found = f"a broken feed ({exc})"
        raise UnrecognisedSource(
            found,
            "a feed's root is <rss>, <feed> or <rdf:RDF>, a sitemap's <urlset> or "
            "<sitemapindex>; give the outlet's feed or sitemap URL (often /rss, /feed, "
            "/sitemap.xml or /sitemap-news.xml)",
        ) from None
    return Detection(SourceKind.FEED, feed.format, len(feed.items), _feed_note(feed.format, feed))


def _feed_note(version: str, feed: object) -> str:
    label = {"rss": "RSS", "ato": "Atom", "jso": "JSON Feed"}.get(version[:3], version or "feed")
    items = len(getattr(feed, "items", []))
    return f"{label} feed ({version}) with {items} items"


def _html(body: bytes, *, url: str, headers: Mapping[str, str]) -> Detection:
    text = decode_body(body, headers)
    advertised = advertised_feeds(text, url=url)
    title = _title(text)
    links = parse_listing(text, url=url) if text.strip() else []
    also = (
        f"; it advertises a feed at {advertised[0]}, usually the better source"
        if advertised
        else ""
    )
    if len(links) >= MIN_LISTING_LINKS:
        note = f"listing page with {len(links)} article links{also}"
        return Detection(SourceKind.LISTING, "listing", len(links), note)
    page = f"an HTML page{f' titled {title!r}' if title else ''} with {len(links)} article links"
    tries = []
    if advertised:
        tries.append(f"register its advertised feed {advertised[0]}")
    tries.append("kind=listing with a CSS selector for its article links")
    tries.append("kind=article if the URL is a single article")
    raise UnrecognisedSource(page, "; or ".join(tries))


def advertised_feeds(html: str, *, url: str) -> list[str]:
    """Feed URLs an HTML page announces with `<link rel="alternate" type="...rss+xml">`."""
    if not html.strip():
        return []
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in _FEED_TYPES and href:
            absolute = urljoin(url, href)
            if absolute.startswith(("http://", "https://")) and absolute not in found:
                found.append(absolute)
    return found


def _title(html: str) -> str:
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return ""
    node = tree.find(".//title")
    return " ".join((node.text_content() if node is not None else "").split())[:120]


def mismatch_hint(
    kind: str, body: bytes, *, url: str, headers: Mapping[str, str], now: datetime
) -> str:
    """For a poll that failed to parse as `kind`: what the body looks like, as advice ("" when
    it looks like nothing else, or like `kind` itself)."""
    try:
        found = detect_kind(body, url=url, headers=headers, now=now)
    except (ParseError, ValueError):
        return ""
    if found.kind == kind:
        return ""
    return f"; the response looks like a {found.note}: change the source's kind to {found.kind}"


def mismatch_hints(batch: list[tuple[str, bytes, str, dict[str, str], datetime]]) -> list[str]:
    """`mismatch_hint` for each (kind, body, url, headers, now): the pool's job, so that reading
    a body that has just failed to parse (often because it is hostile) runs under the pool's
    time limit, never in the coordinating process."""
    return [
        mismatch_hint(kind, body, url=url, headers=headers, now=now)
        for kind, body, url, headers, now in batch
    ]
