"""Article pages to text (pure): main text, title, author, publish time, language, canonical URL.

trafilatura does the main-text work (it is the best open extractor on news pages); around it
we read the page's own metadata once with lxml (canonical link, `lang`, `article:published_time`,
JSON-LD `datePublished`, `<time datetime>`), fall back to htmldate for a day-only date, and strip
the insert lines Indonesian outlets put inside article bodies ("Baca juga: ...", "ADVERTISEMENT").
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from charset_normalizer import from_bytes

from app.crawlers.dates import bounded_time, indonesian_date_line

WIB = ZoneInfo("Asia/Jakarta")
MIN_TEXT_CHARS = 80  # shorter than this is navigation or a teaser, not an article

# Lines Indonesian outlets insert into bodies: cross-links, ad labels, prompts. A line is dropped
# only when it *starts* with one of these (case-insensitive), so prose mentioning them survives.
_INSERT_LINE = re.compile(
    r"^\s*(?:baca\s+(?:juga|pula|selengkapnya|berita\s+lainnya)|simak\s+(?:juga|video|berita)"
    r"|lihat\s+juga|tonton\s+juga|saksikan\s+(?:juga|video)|advertisement|iklan\s*$"
    r"|scroll\s+(?:to|untuk)\s+(?:continue|lanjut)|gulir\s+untuk|artikel\s+ini\s+telah\s+tayang"
    r"|dapatkan\s+update\s+berita|ikuti\s+(?:kami|berita)\s+di|bagikan\s*:)",
    re.IGNORECASE,
)
_CHARSET_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_:.-]+)""", re.IGNORECASE)
_CHARSET_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_SITE_PREFIX = re.compile(r"^(?:www|m|mobile|amp)\.")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Parsed as trafilatura parses a page itself: an HTML comment left in the tree cut the text of
# its paragraph at the comment (everything after `<!-- ad -->` in a <p> was lost).
_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)


@dataclass(slots=True)
class PageContent:
    """What one article page says about itself."""

    title: str | None
    text: str | None
    author: str | None
    published: datetime | None  # UTC
    published_trusted: bool
    language: str | None
    canonical_url: str | None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Bytes of an HTML page to text: BOM, then the header charset, then `<meta charset>`,
    then a detector.

    CALL POINT: the fetcher's shared charset helper (issue 3, part A) replaces this when it lands;
    keep the signature.
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared: list[str] = []
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    if header := _CHARSET_HEADER.search(content_type):
        declared.append(header.group(1))
    if meta := _CHARSET_META.search(body[:4096]):
        declared.append(meta.group(1).decode("ascii", errors="ignore"))
    for name in declared:
        try:
            return body.decode(_codec(name))
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body[:65536]).best()
        return body.decode(best.encoding if best else "cp1252", errors="replace")


def _codec(name: str) -> str:
    # Pages that say latin-1 mean windows-1252 (the WHATWG encoding standard's rule).
    lowered = name.strip().lower()
    return "cp1252" if lowered in ("iso-8859-1", "latin1", "latin-1", "us-ascii") else lowered


def clean_text(text: str) -> str:
    """Drop outlet insert lines and collapse blank runs; paragraphs stay separated by one blank."""
    kept = [line.strip() for line in text.splitlines()]
    kept = [line for line in kept if line and not _INSERT_LINE.match(line)]
    return "\n\n".join(kept)


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one site (www., m., amp. and mobile. prefixes folded)."""
    host_a = _SITE_PREFIX.sub("", (urlsplit(a).hostname or "").lower())
    host_b = _SITE_PREFIX.sub("", (urlsplit(b).hostname or "").lower())
    return bool(host_a) and host_a == host_b and urlsplit(a).port == urlsplit(b).port


def extract_page(
    html: str | bytes, *, url: str | None = None, now: datetime | None = None
) -> PageContent:
    """Extract one article page. Never raises on bad HTML: what cannot be read is None."""
    now = now or datetime.now(UTC)
    if isinstance(html, bytes):
        html = decode_html(html)
    try:
        tree = lxml.html.document_fromstring(html, parser=_HTML_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return PageContent(None, None, None, None, False, None, None)
    meta = _page_metadata(tree, url=url)
    import trafilatura  # here: the stages import this module, most commands never extract

    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,  # readers' comments, not the article
        include_tables=True,  # tables in articles are text (lists of suspects, budgets, scores)
        # Leaves out more of what surrounds the article (teasers, captions of other stories,
        # cookie and share lines): main-text F1 on the 49 public pages of bench/extraction.py
        # 0.923 -> 0.942 (trafilatura's defaults 0.923), no change on the Indonesian farm pages.
        favor_precision=True,
        with_metadata=True,
        deduplicate=False,
    )
    doc: dict[str, Any] = {}
    if document is not None:
        doc = document if isinstance(document, dict) else document.as_dict()
    text = clean_text(str(doc.get("text") or ""))
    published, trusted = meta.published, meta.published_trusted
    if published is None or not trusted:
        # "Sabtu, 05 Desember 2026 - 06:00 WIB": the page's date line keeps the time of day
        # that a date-only meta tag or htmldate's day loses.
        line, zoned = indonesian_date_line(_date_line_text(tree))
        if line is not None and (published is None or line.date() == published.date()):
            published, trusted = line, zoned
    if published is None and isinstance(doc.get("date"), str):
        published, trusted = _htmldate_day(doc["date"])
    published, still_trusted, _dropped = bounded_time(published, now=now)
    trusted = trusted and still_trusted
    return PageContent(
        title=meta.title or _str(doc.get("title")),
        text=text if len(text) >= MIN_TEXT_CHARS else None,
        author=meta.author or _str(doc.get("author")),
        published=published,
        published_trusted=trusted if published else False,
        language=meta.language or _detect_language(text),
        canonical_url=meta.canonical_url,
    )


@dataclass(slots=True)
class _Meta:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    published_trusted: bool = False
    language: str | None = None
    canonical_url: str | None = None


def _page_metadata(tree: lxml.html.HtmlElement, *, url: str | None) -> _Meta:
    meta = _Meta()
    for href in tree.xpath("//head/link[@rel='canonical']/@href"):
        candidate = urljoin(url or "", str(href).strip())
        if candidate.startswith(("http://", "https://")) and (
            url is None or same_site(candidate, url)
        ):
            meta.canonical_url = candidate
            break
    lang = tree.get("lang") or _first(tree, "//meta[@property='og:locale']/@content")
    if lang:
        meta.language = re.split(r"[-_]", lang.strip().lower())[0][:8] or None
    meta.title = _first(tree, "//meta[@property='og:title']/@content") or _first(
        tree, "//h1//text()"
    )
    meta.author = _first(tree, "//meta[@name='author']/@content") or _first(
        tree, "//meta[@property='article:author']/@content"
    )
    candidates = [
        _first(tree, "//meta[@property='article:published_time']/@content"),
        _first(tree, "//meta[@itemprop='datePublished']/@content"),
        *_json_ld_dates(tree),
        _first(tree, "//time[@datetime]/@datetime"),
    ]
    for value in candidates:
        if value:
            parsed, trusted = _parse_time(value)
            if parsed is not None:
                meta.published, meta.published_trusted = parsed, trusted
                break
    return meta


def _json_ld_dates(tree: lxml.html.HtmlElement) -> list[str]:
    found: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for node in data if isinstance(data, list) else [data]:
            if isinstance(node, dict) and isinstance(node.get("datePublished"), str):
                found.append(node["datePublished"])
    return found


def _parse_time(value: str) -> tuple[datetime | None, bool]:
    """An ISO 8601 time from page metadata; a value without a zone is read as WIB but flagged."""
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, False
    if _DATE_ONLY.match(text):
        return parsed.replace(tzinfo=WIB), False  # a day without a time: the time is unknown
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=WIB), False
    return parsed, True


_DATE_HINT = re.compile(r"date|time|tanggal|waktu|info|meta|publish|byline", re.IGNORECASE)


def _date_line_text(tree: lxml.html.HtmlElement) -> str:
    """Where a page's date line sits, likeliest first: elements after the headline whose class
    or id names a date, the text after the headline, then such elements anywhere (a date in
    the header or a sidebar is not the article's, so those come last)."""
    headline = tree.xpath("//h1")
    after = headline[0].xpath("following::*[@class or @id]")[:2000] if headline else []
    anywhere = tree.xpath("//body//*[@class or @id]")[:2000]
    rest = headline[0].xpath("following::text()")[:200] if headline else []
    return "\n".join([*_hinted(after), " ".join(str(t) for t in rest), *_hinted(anywhere)])


def _hinted(nodes: list[lxml.html.HtmlElement]) -> list[str]:
    return [
        " ".join(node.text_content().split())
        for node in nodes
        if _DATE_HINT.search(f"{node.get('class', '')} {node.get('id', '')}")
        and len(node.text_content()) < 300
    ]


def _htmldate_day(value: str) -> tuple[datetime | None, bool]:
    try:
        day = datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        return None, False
    return datetime.combine(day, time(0, 0), tzinfo=WIB), False


def _first(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        text = " ".join(str(value).split())
        if text:
            return text
    return None


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _detect_language(text: str) -> str | None:
    if not text:
        return None
    from app.scoring.language import detect_language

    return detect_language(text)


@dataclass(frozen=True, slots=True)
class ExtractJob:
    body: bytes
    url: str
    content_type: str | None = None


@dataclass(slots=True)
class Extracted:
    content: PageContent
    signature: bytes | None  # MinHash of the text, for the story stage (computed here: CPU work)


def extract_batch(jobs: list[ExtractJob]) -> list[Extracted]:
    """Extract a batch of pages; the unit of work sent to a pool process."""
    from app.crawlers.neardup import signature

    results = []
    for job in jobs:
        headers = {"content-type": job.content_type} if job.content_type else None
        content = extract_page(decode_html(job.body, headers), url=job.url)
        results.append(Extracted(content, signature(content.text)))
    return results
