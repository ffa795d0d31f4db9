"""Listing pages to article links (pure): by a CSS selector set on the source, or by heuristics.

The heuristics keep same-site links whose path looks like an article (a date, a numeric id or a
long slug), found in the page's main content, and drop navigation, footers, sidebars, "related"
and "popular" boxes, and tag/category/author/static pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from cssselect import SelectorError

from app.crawlers.extract import same_site
from app.crawlers.parsers import ParseError

# Containers whose links are never the listing's own articles.
_CHROME = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|header|footer|sidebar|side-bar|aside|breadcrumb|share|social"
    r"|popular|terpopuler|trending|related|terkait|recommend|rekomendasi|ads?|advert|banner"
    r"|comments?|komentar|newsletter|pagination|paging|widget|tags?|login)($|[\s_-])",
    re.IGNORECASE,
)
_CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript")
_NON_ARTICLE_SEGMENTS = frozenset(
    {
        "tag", "tags", "topik", "topic", "kanal", "category", "categories", "kategori", "rubrik",
        "penulis", "author", "authors", "reporter", "editor", "indeks", "index", "search", "cari",
        "login", "masuk", "daftar", "register", "page", "static", "assets", "img", "images",
        "video", "videos", "foto", "galeri", "feed", "rss", "amp", "user", "profile", "about",
    }
)  # fmt: skip
_STATIC_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|css|js|pdf|xml|json|ico|mp4|zip)$", re.I)
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}[/-]?(?:0[1-9]|1[0-2])[/-]?(?:[0-3]\d)?(?:/|$)")
_NUMERIC_ID = re.compile(r"(?:^|[/-])\d{5,}(?:[/.-]|$)")
MIN_SLUG_WORDS = 4
MIN_TITLE_CHARS = 15


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    title: str
    published: datetime | None = None  # a <time datetime> next to the link, when there is one


def parse_listing(body: str, *, url: str, selector: str | None = None) -> list[Link]:
    """Article links of a listing page, in page order, each once (with its longest anchor text)."""
    tree = _tree(body, url)
    if selector:
        try:
            chosen = tree.cssselect(selector)
        except SelectorError as exc:
            raise ParseError(f"invalid CSS selector {selector!r}: {exc}") from None
        anchors = [a for el in chosen for a in (el.iter("a") if el.tag != "a" else [el])]
        return _collect(anchors, url=url, require_article_path=False)
    for bad in list(tree.iter(*_CHROME_TAGS)):
        bad.drop_tree()
    for bad in tree.xpath("//*[@class or @id or @role]"):
        marker = f"{bad.get('class', '')} {bad.get('id', '')} {bad.get('role', '')}"
        if bad.get("role") == "navigation" or _CHROME.search(marker):
            bad.drop_tree()
    main = tree.xpath("//main|//*[@role='main']")
    return _collect(
        [a for root in (main or [tree]) for a in root.iter("a")], url=url, require_article_path=True
    )


def next_page(body: str, *, url: str) -> str | None:
    """The listing's next page (`rel=next` on a link or anchor), if it has one."""
    tree = _tree(body, url)
    for href in tree.xpath("//link[@rel='next']/@href|//a[@rel='next']/@href"):
        candidate = urljoin(url, str(href))
        if candidate.startswith(("http://", "https://")) and same_site(candidate, url):
            return candidate
    return None


def looks_like_article(url: str) -> bool:
    """Whether a URL's path has the shape of an article (date, long id or long slug)."""
    path = urlsplit(url).path
    if _STATIC_EXT.search(path) or path in ("", "/"):
        return False
    segments = [s for s in path.lower().split("/") if s]
    if any(s in _NON_ARTICLE_SEGMENTS for s in segments[:-1]) or (
        segments and segments[0] in _NON_ARTICLE_SEGMENTS
    ):
        return False
    if _DATE_PATH.search(path) or _NUMERIC_ID.search(path):
        return True
    last = re.sub(r"\.html?$", "", segments[-1]) if segments else ""
    return len([w for w in re.split(r"[-_]", last) if w]) >= MIN_SLUG_WORDS


def _tree(body: str, url: str) -> lxml.html.HtmlElement:
    try:
        tree = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable listing page: {exc}") from None
    tree.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")
    return tree


def _collect(
    anchors: list[lxml.html.HtmlElement], *, url: str, require_article_path: bool
) -> list[Link]:
    found: dict[str, str] = {}
    dates: dict[str, datetime | None] = {}
    for anchor in anchors:
        href = anchor.get("href")
        if not href or not href.startswith(("http://", "https://")) or not same_site(href, url):
            continue
        href = href.split("#", 1)[0]
        if href.rstrip("/") == url.split("#", 1)[0].rstrip("/") or "page=" in href:
            continue
        if require_article_path and not looks_like_article(href):
            continue
        title = " ".join(anchor.text_content().split())
        if href not in found or len(title) > len(found[href]):
            found[href] = title
        if dates.get(href) is None:
            dates[href] = _nearby_time(anchor)
    return [
        Link(url=href, title=title if len(title) >= MIN_TITLE_CHARS else "", published=dates[href])
        for href, title in found.items()
    ]


def _nearby_time(anchor: lxml.html.HtmlElement) -> datetime | None:
    node = anchor
    for _ in range(3):  # the link's list item or card, not the whole page
        parent = node.getparent()
        if parent is None:
            return None
        node = parent
        for value in node.xpath(".//time/@datetime"):
            try:
                parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else None
    return None
