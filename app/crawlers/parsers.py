"""Pure parsers: response bytes in, feed items out. No I/O here."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import lxml.etree

from app.crawlers import fastfeed
from app.crawlers.dates import bounded_time

# feedparser is only ever given bytes, so it never touches the network or the file system. Its
# HTML sanitiser and relative-URI rewriting are turned off per call (`parse_feed`): we store
# text, not markup, and `html_to_text` drops what the sanitiser would have (scripts, styles,
# applets) while lxml turns the rest into text. Both ran sgmllib over every description and
# content element, about 40 % of the parse.
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_PARAMETER_ENTITY = re.compile(rb"<!\s*ENTITY\s+%", re.IGNORECASE)
_EXTERNAL_ENTITY = re.compile(rb"<!\s*ENTITY\s+[^\s>]+\s+(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
_WS = re.compile(r"[ \t\r\f\v]+")
_DROPPED = ("script", "style", "noscript", "applet")
_BLOCKS = ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "blockquote")
_BLANKS = re.compile(r"\n\s*\n+")
MAX_ITEMS = 2000  # items read from one feed per poll; the rest are counted, not read
MAX_INT_DIGITS = 30  # a JSON number longer than this stays text (a million-digit `id`)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ParseError(ValueError):
    """The body is not what the source's kind promises; the message says why."""


@dataclass(slots=True)
class FeedItem:
    url: str
    guid: str | None = None
    title: str = ""
    summary: str | None = None
    body: str | None = None
    author: str | None = None
    published: datetime | None = None
    published_trusted: bool = False
    note: str | None = None  # what was dropped from the item (an impossible publish time)
    # A public social post (crawlers/social.py) rather than a news article: where it was
    # posted, and what the source shows of its reach ({"views": 1200, "likes": 4}).
    kind: str = "article"
    platform: str | None = None
    engagement: dict[str, int] | None = None
    # A search feed's item: the publisher it names (<source url=...>Name</source>).
    publisher: str | None = None
    publisher_url: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    title: str | None = None
    items: list[FeedItem] = field(default_factory=list)
    ttl_minutes: int | None = None
    format: str = ""
    # The items as article rows (crawlers/rows.article_rows), when built with the parse.
    rows: list[dict[str, Any]] | None = None
    # A fact-check source's items as claim rows (crawlers/factcheck.claim_rows).
    claims: list[dict[str, Any]] | None = None
    # Items skipped or mended, counted by reason; the poll's attempt row records them.
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


def item_time(value: datetime | None, *, now: datetime) -> tuple[datetime | None, bool, str | None]:
    """(publish time, trusted, note): `dates.bounded_time`, the one gate for outside times."""
    return bounded_time(value, now=now)


def html_to_text(fragment: str | None) -> str | None:
    """Visible text of an HTML fragment, paragraphs separated by blank lines."""
    if not fragment or not fragment.strip():
        return None
    if "<" not in fragment:
        return _tidy(fragment)
    try:
        root = _fragment_root(fragment)
    except (lxml.etree.ParserError, ValueError):
        return _tidy(fragment)
    # iter() rather than XPath (compiled per call, and ten times slower on short fragments);
    # the bad elements are listed first, as the tree changes under them.
    for bad in list(root.iter(_DROPPED)):
        if bad is not root:
            _drop_tree(bad)
    for block in root.iter(_BLOCKS):
        if block is not root:
            block.tail = "\n\n" + (block.tail or "")
    return _tidy(_string_content(root))


# `lxml.html.fragment_fromstring(fragment, create_parent="div")` with plain lxml elements:
# lxml.html's parser calls back into Python to pick a class for every element it hands out,
# about a fifth of the cost here. Same parser settings, same steps, same tree.
_HTML_PARSER = lxml.etree.HTMLParser()
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_string_content = lxml.etree.XPath("string()", smart_strings=False)


def _fragment_root(fragment: str) -> Any:
    html = fragment if _FULL_HTML.match(fragment) else f"<html><body>{fragment}</body></html>"
    document = lxml.etree.fromstring(html, _HTML_PARSER)
    if document is None:
        raise lxml.etree.ParserError("Document is empty")
    assert _local(document.tag) == "html"  # as lxml.html asserts (an unreadable item)
    bodies = [e for e in document if _local(e.tag) == "body"]
    assert len(bodies) == 1, "too many bodies"
    body = bodies[0]
    root = lxml.etree.Element("div")
    if body.text and body.text.strip():
        root.text = body.text
    root.extend(body)
    return root


def _local(tag: Any) -> Any:
    return tag.split("}", 1)[-1] if isinstance(tag, str) and tag[:1] == "{" else tag


def _drop_tree(element: Any) -> None:
    """lxml.html's `drop_tree`: the element goes, its tail stays."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def storable(text: str | None) -> str | None:
    """`text` without NUL and the other C0 control characters (tab, newline and CR stay).

    Publishers do send them (a NUL in a title, a form feed pasted from a word processor);
    PostgreSQL refuses NUL in text, which would fail the whole feed, and no reader wants the rest.
    """
    if text is None or _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub("", text)


def _tidy(text: str) -> str | None:
    # One substitution over the whole text (its runs never cross a newline), then per line.
    lines = [line.strip() for line in _WS.sub(" ", text.replace("\xa0", " ")).split("\n")]
    joined = _BLANKS.sub("\n\n", "\n".join(lines)).strip()
    return joined or None


def _scan_form(body: bytes) -> bytes:
    """The body as UTF-8-compatible bytes, so UTF-16/32 documents cannot hide declarations."""
    head = body[:4]
    for bom, codec in _WIDE_BOMS:
        if head.startswith(bom):
            return body.decode(codec, errors="replace").encode("utf-8")
    if b"\x00" in head:  # BOM-less UTF-16/32 starts "<\0?\0" or "\0<\0?"
        for codec in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
            text = body.decode(codec, errors="replace")
            if text.lstrip().startswith("<"):
                return text.encode("utf-8")
    return body


def check_xml_safety(body: bytes) -> None:
    """Reject documents that declare entities; an external DTD reference alone is harmless.

    Entity declarations are how XML bombs work (billion laughs, quadratic blowup), how external
    files are pulled in (SYSTEM/PUBLIC entities) and how parameter entities smuggle either. No
    real feed needs them, and feedparser's lenient fallback expands them without limit, so any
    declaration anywhere in the document is refused. One linear scan, no parsing, no expansion.
    """
    scan = _scan_form(body)
    declared = _ENTITY_DECL.search(scan)
    if declared is None:
        if len(_DOCTYPE.findall(scan, 0)) > 1:
            raise ParseError("document has more than one DOCTYPE; rejected")
        return
    where = declared.start()
    tail = scan[where : where + 2048]
    if _PARAMETER_ENTITY.match(tail):
        kind = "a parameter entity"
    elif _EXTERNAL_ENTITY.match(tail):
        kind = "an external entity (SYSTEM/PUBLIC)"
    else:
        kind = "an XML entity"
    raise ParseError(
        f"feed declares {kind} at byte {where} (entity expansion and external entities are "
        "refused: billion-laughs, quadratic blowup and file inclusion attacks); rejected"
    )


def _struct_to_datetime(parsed: Any) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_feed(
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    max_items: int = MAX_ITEMS,
    fast_path: bool = True,
) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0, Atom or JSON Feed from bytes.

    At most `max_items` items are read (the first ones: feeds list the newest first); an item
    that cannot be read is skipped, and both are counted in `ParsedFeed.skipped`.
    `fast_path=False` makes feedparser read every XML feed (tests and benches compare paths).
    """
    now = now or datetime.now(UTC)
    if not body.strip():
        raise ParseError("empty response body where a feed was expected")
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return parse_json_feed(stripped, now=now, max_items=max_items)
    if _HTML_START.match(stripped):
        raise ParseError("got an HTML page where a feed was expected")
    check_xml_safety(stripped)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-type", "application/xml")
    # Plain RSS/Atom/RDF is read with lxml (fastfeed: the same fields feedparser gives, about
    # ten times cheaper); anything else goes to feedparser, which copes with far more.
    fast = fastfeed.parse(stripped, response_headers) if fast_path else None
    if fast is None:
        parsed = _feedparser_parse(stripped, response_headers)
        version, feed_data, entries = parsed.version, parsed.feed, parsed.entries
    else:
        version, feed_data, entries = fast["version"], fast["feed"], fast["entries"]
    feed = ParsedFeed(title=feed_data.get("title"), format=version)
    ttl = str(feed_data.get("ttl") or "").strip()
    if ttl.isascii() and ttl.isdigit() and len(ttl) <= 6:
        feed.ttl_minutes = int(ttl)
    if len(entries) > max_items:
        feed.skip(
            f"items over the per-feed cap of {max_items} (not read)", len(entries) - max_items
        )
    for entry in entries[:max_items]:
        try:
            item = _item_from_entry(entry, now=now)
        except Exception as exc:  # one unreadable item must not lose the feed
            feed.skip(f"unreadable item ({type(exc).__name__})")
            continue
        if item is not None:
            _note(feed, item)
            feed.items.append(item)
    return feed


def _feedparser_parse(body: bytes, headers: dict[str, str]) -> Any:
    import feedparser  # here: the stages import this module whether or not a feed is read

    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise ParseError(f"not a recognisable RSS/Atom feed{detail}"[:500])
    return parsed


def _note(feed: ParsedFeed, item: FeedItem) -> None:
    if item.note:
        feed.skip(item.note)


def _item_from_entry(entry: Any, *, now: datetime) -> FeedItem | None:
    link = entry.get("link") or ""
    guid = entry.get("id") or None
    if not link and guid and str(guid).startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    content = entry.get("content") or []
    body = html_to_text(content[0].get("value")) if content else None
    summary = html_to_text(entry.get("summary"))
    title = entry.get("title") or ""
    if (entry.get("title_detail") or {}).get("type") in _HTML_TYPES:
        title = html_to_text(title) or ""  # markup in a title: its text, as for the summary
    published, trusted, note = item_time(
        _struct_to_datetime(entry.get("published_parsed") or entry.get("updated_parsed")), now=now
    )
    return FeedItem(
        url=link.strip(),
        guid=str(guid)[:2000] if guid else None,
        title=_tidy(title) or "",
        summary=summary,
        body=body if body and body != summary else None,
        author=(entry.get("author") or None),
        published=published,
        published_trusted=trusted,
        note=note,
    )


def _json_int(text: str) -> int | str:
    # Python refuses to convert integers of more than 4,300 digits (ValueError out of
    # json.loads); an `id` that long is kept as the text it is.
    return int(text) if len(text) <= MAX_INT_DIGITS else text


def parse_json_feed(body: bytes, *, now: datetime, max_items: int = MAX_ITEMS) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body, parse_int=_json_int)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ParseError(f"invalid JSON feed: {exc}"[:500]) from None
    except RecursionError:  # `[[[[...` a hundred thousand deep: hostile, never a real feed
        raise ParseError("invalid JSON feed: nested too deeply") from None
    if not isinstance(data, dict) or "jsonfeed.org/version" not in str(data.get("version", "")):
        raise ParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON Feed has no items list")
    feed = ParsedFeed(
        title=data.get("title"), format="json" + str(data["version"]).rsplit("/", 1)[-1]
    )
    if len(items) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(items) - max_items)
    for raw in items[:max_items]:
        try:
            item = _json_item(raw, now=now)
        except Exception as exc:  # one unreadable item must not lose the feed
            feed.skip(f"unreadable item ({type(exc).__name__})")
            continue
        if item is not None:
            _note(feed, item)
            feed.items.append(item)
    return feed


def _json_item(raw: Any, *, now: datetime) -> FeedItem | None:
    if not isinstance(raw, dict):
        return None
    link = raw.get("url") or raw.get("external_url") or ""
    if not isinstance(link, str) or not link:
        return None
    published, trusted, note = item_time(
        _iso(raw.get("date_published") or raw.get("date_modified")), now=now
    )
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    author = ", ".join(a.get("name", "") for a in authors if isinstance(a, dict)) or None
    body_text = html_to_text(raw.get("content_html")) or _tidy(str(raw.get("content_text") or ""))
    summary = _tidy(str(raw.get("summary") or "")) if raw.get("summary") else None
    return FeedItem(
        url=link.strip(),
        guid=str(raw.get("id"))[:2000] if raw.get("id") is not None else None,
        title=_tidy(str(raw.get("title") or "")) or "",
        summary=summary,
        body=body_text if body_text != summary else None,  # a summary is not the text
        author=author,
        published=published,
        published_trusted=trusted,
        note=note,
    )


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip()[:64].replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def parse_sitemap(
    body: bytes, *, now: datetime | None = None, max_items: int = MAX_ITEMS
) -> tuple[ParsedFeed, list[str]]:
    """Parse a news or plain sitemap; returns its items and, for an index, the child sitemaps.

    At most `max_items` URLs are read; the rest are counted in `ParsedFeed.skipped`."""
    now = now or datetime.now(UTC)
    if not body.strip():
        raise ParseError("empty response body where a sitemap was expected")
    check_xml_safety(body)
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, load_dtd=False
    )
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ParseError(f"invalid sitemap XML: {exc}") from None
    tag = lxml.etree.QName(root).localname
    if tag == "sitemapindex":
        children = [
            t.strip() for t in root.xpath("sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS)
        ]
        return ParsedFeed(format="sitemapindex"), children
    if tag != "urlset":
        raise ParseError(f"not a sitemap (root element <{tag}>)")
    feed = ParsedFeed(format="sitemap")
    nodes = root.xpath("sm:url", namespaces=SITEMAP_NS)
    if len(nodes) > max_items:
        feed.skip(f"items over the per-feed cap of {max_items} (not read)", len(nodes) - max_items)
    for node in nodes[:max_items]:
        loc = node.findtext("sm:loc", namespaces=SITEMAP_NS)
        if not loc:
            continue
        date_text = node.findtext("news:news/news:publication_date", namespaces=SITEMAP_NS) or (
            node.findtext("sm:lastmod", namespaces=SITEMAP_NS)
        )
        published, trusted, note = item_time(_iso(date_text) if date_text else None, now=now)
        title = node.findtext("news:news/news:title", namespaces=SITEMAP_NS)
        item = FeedItem(
            url=loc.strip(),
            title=_tidy(title or "") or "",
            published=published,
            published_trusted=trusted,
            note=note,
        )
        _note(feed, item)
        feed.items.append(item)
    if feed.items and any(f.title for f in feed.items):
        feed.format = "news-sitemap"
    return feed, []
