"""A fast path for plain RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds: lxml instead of feedparser.

`parsers.parse_feed` reads most feeds here and hands the rest to feedparser. This module reads
a feed only when it can give exactly what feedparser's strict (SAX) mode would give for the
fields Pantau keeps (title, link, id, summary, content, author, dates, the feed's title and
ttl); for anything outside that simple subset it returns None and feedparser reads the document
as before, with all its leniency (malformed XML, odd encodings, DOCTYPEs, xml:base, RSS 0.9x,
Atom 0.3, duplicated or nested elements, media titles, xhtml or base64 content, ...).

The entries are plain dicts with feedparser's key names, so the one `_item_from_entry` builds
the items from either path, and tests/crawlers/test_fastfeed.py compares the two paths entry
by entry. feedparser's quirks are kept on purpose (they are what was stored before): a
permalink GUID or Atom id stands in for a missing link, the last author element wins, a
title that looks like HTML is read as HTML in RSS, `&amp;` in links is undone, text that is
UTF-8 read as Latin-1 is repaired and Windows-1252 C1 code points are mapped, every value is
stripped. Dates go through feedparser's own date parser, so they cannot differ.

Bounds: lxml parses without entity resolution, network or DTD loading, and without
`huge_tree` (libxml2's depth and text-node limits hold); the caller has already refused entity
declarations (`parsers.check_xml_safety`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

import lxml.etree

# Namespaces feedparser maps (mixin._FeedParserMixin.namespaces), only those this path reads or
# must recognise; any other namespaced element counts as unknown (feedparser stores it under its
# own key, out of the fields read here) unless feedparser has a handler for it (see _handled).
_ATOM = "http://www.w3.org/2005/Atom"
_RSS1 = "http://purl.org/rss/1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RDF_ABOUT = f"{{{_RDF}}}about"

# Declarations of the namespaces that fix feedparser's `version` (mixin.track_namespace): one of
# them in an unexpected place changes how feedparser reads the feed, so such feeds go to it.
# Matched in the lower-cased body (one `bytes.lower`: case-blind regexes scan ten times slower).
_VERSION_NS = (b"purl.org/rss/1.0/", b"www.w3.org/2005/atom", b"my.netscape.com/rdf/simple/0.9/")
# Any attribute named base (xml:base, or feedparser's plain `base`) changes how links resolve.
_BASE_ATTR = re.compile(rb"""[\s:]base\s*=\s*["']""")
_C1 = re.compile("[\x80-\x9f]")
_XML_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DOCTYPE = re.compile(rb"<!\s*doctype")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
_URI_FIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_LINK_REF = re.compile("&([A-Za-z0-9_]+);")
_UTF8 = frozenset({"utf-8", "utf8"})
_XML_TYPES = frozenset(
    {
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "text/xml",
    }
)

_RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_CONTENT_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# Roles of the elements read (feedparser's names: prefix_local, lower case).
_TITLE = {"title", "dc_title"}
_SUMMARY = {"description", "summary", "dc_description"}
_CONTENT = {"content", "content_encoded", "fullitem"}
_PUBLISHED = {"pubdate", "published", "issued", "dcterms_issued"}
_UPDATED = {"updated", "modified", "dc_date", "dcterms_modified"}
_AUTHOR = {"author", "dc_creator", "dc_author"}
_AUTHOR_PARTS = {"name", "email", "uri", "url", "homepage"}
# Elements feedparser has handlers for that touch none of the fields read here.
_HARMLESS = {
    "category",
    "keywords",
    "dc_subject",
    "comments",
    "enclosure",
    "source",
    "created",
    "dcterms_created",
    "expirationdate",
    "media_content",
    "media_thumbnail",
    "media_keywords",
    "media_credit",
    "media_rating",
    "media_restriction",
    "media_license",
    "media_category",
    "rights",
    "copyright",
    "dc_rights",
    "dc_language",
    "language",
    "generator",
}
# Feed-level elements with handlers that write only their own keys.
_FEED_HARMLESS = (
    {"link", "description", "subtitle", "tagline", "id", "guid", "icon", "logo", "webmaster"}
    | {"lastbuilddate", "managingeditor", "cloud", "docs", "info"}
    | _PUBLISHED
    | _UPDATED
    | _AUTHOR
)
_FEED_ALLOWED = _HARMLESS | _FEED_HARMLESS
# Feed-level elements that may hold elements of their own (each read into its own context).
_FEED_CONTAINERS = {"image", "textinput"}


class _Fallback(Exception):
    """The document is outside the fast path's subset; feedparser reads it."""


_namespace_prefixes: dict[str, str] | None = None
_handlers: frozenset[str] | None = None


def _feedparser_tables() -> tuple[dict[str, str], frozenset[str]]:
    """feedparser's namespace -> prefix map and the element names it has handlers for."""
    global _namespace_prefixes, _handlers
    if _namespace_prefixes is None or _handlers is None:
        from feedparser.api import StrictFeedParser

        _namespace_prefixes = {k.lower(): v for k, v in StrictFeedParser.namespaces.items()}
        _handlers = frozenset(
            name.split("_", 2)[2]
            for name in dir(StrictFeedParser)
            if name.startswith(("_start_", "_end_"))
        )
    return _namespace_prefixes, _handlers


def _handled() -> frozenset[str]:
    return _feedparser_tables()[1]


_names: dict[tuple[str, str | None], str] = {}


def _name(element: Any) -> str:
    """feedparser's name for an element: its known prefix (or the given one) + local name."""
    tag = element.tag
    if not isinstance(tag, str):  # a comment or processing instruction: skipped, as feedparser
        return ""
    key = (tag, element.prefix)
    name = _names.get(key)
    if name is None:
        prefixes, _ = _feedparser_tables()
        if tag[0] == "{":
            namespace, local = tag[1:].split("}", 1)
        else:
            namespace, local = "", tag
        lowered = namespace.lower()
        if "backend.userland.com/rss" in lowered:
            lowered = "http://backend.userland.com/rss"
        prefix = prefixes.get(lowered, element.prefix)
        if namespace and prefix is None:  # an unknown namespace declared without a prefix
            raise _Fallback
        name = f"{prefix.lower()}_{local.lower()}" if prefix else local.lower()
        if len(_names) < 4096:  # a hostile feed could invent names without end
            _names[key] = name
    return name


def _cp1252_table() -> dict[int, str]:
    from feedparser.html import _cp1252

    table: dict[int, str] = _cp1252
    return table


_CP1252: dict[int, str] | None = None


def _text(raw: str | None) -> str:
    """A value as feedparser's `pop` leaves it (strict mode, UTF-8 document)."""
    global _CP1252
    output = (raw or "").strip()
    if not output.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")
        if _C1.search(output):
            if _CP1252 is None:
                _CP1252 = _cp1252_table()
            output = output.translate(_CP1252)
    return output


def _leaf_text(element: Any) -> str:
    if not len(element):
        return _text(element.text)
    pieces = [element.text or ""]
    for child in element:  # comments and processing instructions: feedparser skips them
        if isinstance(child.tag, str):
            raise _Fallback  # markup inside: xhtml in feedparser's eyes
        pieces.append(child.tail or "")
    return _text("".join(pieces))


def _urljoin(uri: str) -> str:
    """feedparser's `resolve_uri` with no base (no xml:base, no Content-Location)."""
    return _URI_FIXER.sub(r"\1\3", uri) if ":///" in uri else uri  # else it changes nothing


def _fix_link(output: str) -> str:
    if "&" not in output:
        return output
    return _LINK_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))


def _content_type(element: Any, default: str) -> str:
    for key in element.attrib:
        if key.lower() != "type" and key != _XML_LANG:
            raise _Fallback  # mode="base64", src=..., an odd attribute: feedparser's business
    value = element.get("type")
    if value is None:
        for key, given in element.attrib.items():
            if key.lower() == "type":
                value = given
    kind = (value or default).lower()
    kind = _CONTENT_TYPES.get(kind, kind)
    if kind not in ("text/plain", "text/html"):
        raise _Fallback  # xhtml (div unwrapping), base64 types, xml types
    return kind


def _looks_like_html(text: str) -> bool:
    from feedparser.mixin import _FeedParserMixin

    return bool(_FeedParserMixin.looks_like_html(text))


def _parse_date(value: str) -> Any:
    from feedparser.datetimes import _parse_date as parse

    return parse(value)


def _lowered_attrs(element: Any) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for key, value in element.attrib.items():
        if key[0] == "{":
            raise _Fallback  # namespaced attributes (xlink, ...): keyed by prefix in feedparser
        lowered = key.lower()
        attrs[lowered] = value.lower() if lowered in ("rel", "type") else value
    return attrs


def _read_entry(item: Any, version: str, about: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if about:
        entry["id"] = about
    seen: set[str] = set()
    link: str | None = None
    link_set = False
    summary: str | None = None
    content: str | None = None
    guess_titles = not version.startswith("atom")
    authors = 0
    for child in item:
        name = _name(child)
        if not name:
            continue
        if name in _TITLE or name in _SUMMARY or name in _CONTENT:
            role = "title" if name in _TITLE else "summary" if name in _SUMMARY else "content"
            if role in seen:
                raise _Fallback  # a second title/summary/content: feedparser's order rules
            seen.add(role)
            if role == "title":
                kind = _content_type(child, "text/plain")
                value = _leaf_text(child)
                if guess_titles and kind == "text/plain" and _looks_like_html(value):
                    kind = "text/html"
                entry["title"] = value
                entry["title_detail"] = {"type": kind}
            elif role == "summary":
                default = "text/plain" if name == "summary" else "text/html"
                _content_type(child, default)
                summary = _leaf_text(child)
            else:
                default = "text/plain" if name == "content" else "text/html"
                _content_type(child, default)
                content = _leaf_text(child)
        elif name == "link":
            attrs = _lowered_attrs(child)
            rel = attrs.setdefault("rel", "alternate")
            kind = attrs.setdefault(
                "type", "application/atom+xml" if rel == "self" else "text/html"
            )
            href = attrs.get("url", attrs.get("uri", attrs.get("href")))
            if href:
                attrs["href"] = href
            if "href" in attrs:
                if len(child) or (child.text or "").strip():
                    raise _Fallback
                if rel == "alternate" and _CONTENT_TYPES.get(kind, kind) in _HTML_TYPES:
                    link, link_set = _urljoin(attrs["href"]), True
            else:
                value = _leaf_text(child)
                if value:
                    value = _urljoin(value)
                link, link_set = _fix_link(value), True
        elif name in ("guid", "id"):
            permalink = True
            for key, given in child.attrib.items():
                if key.lower() == "ispermalink":
                    permalink = given == "true"
            value = _leaf_text(child)
            if value and permalink:
                value = _urljoin(value)
            entry["id"] = value
            if permalink and not link_set:
                link, link_set = value, True
        elif name in _PUBLISHED:
            entry["published_parsed"] = _parse_date(_leaf_text(child))
        elif name in _UPDATED:
            entry["updated_parsed"] = _parse_date(_leaf_text(child))
        elif name in _AUTHOR:
            authors += 1
            if authors > 1:
                raise _Fallback  # feedparser mixes a second author with the first one's text
            entry["author"] = _author(child)
        elif name in _HARMLESS or name not in _handled():
            if len(child):
                raise _Fallback  # nested elements: feedparser may read them as entry fields
        else:
            raise _Fallback  # an element feedparser treats specially (media:title, image, ...)
    if link_set:
        entry["link"] = link
    if summary is not None:
        entry["summary"] = summary
    if content is not None:
        entry["content"] = [{"value": content}]
        entry.setdefault("summary", content)
    return entry


def _author(element: Any) -> str:
    """An author element: its text, or `name (email)` from Atom's parts (the last one wins)."""
    own = _text(element.text)
    if not len(element):
        return own
    name = email = None
    for part in element:
        part_name = _name(part)
        if not part_name:
            raise _Fallback
        if part_name not in _AUTHOR_PARTS or len(part):
            raise _Fallback
        if part.tail and part.tail.strip():
            raise _Fallback
        value = (part.text or "").strip()
        if part_name == "name":
            name = value
        elif part_name == "email":
            email = value
    if name and email:
        return f"{name} ({email})"
    return name or email or own


def _feed_fields(parent: Any, skip: str) -> tuple[str | None, str | None]:
    """(title, ttl) of a channel or Atom feed; item/entry children are read elsewhere."""
    title: str | None = None
    titles = 0
    ttl: str | None = None
    for child in parent:
        name = _name(child)
        if not name or name == skip:
            continue
        if name in _TITLE:
            titles += 1
            _content_type(child, "text/plain")
            title = _leaf_text(child)
        elif name == "ttl":
            ttl = _leaf_text(child)
        elif name in _FEED_CONTAINERS:
            for part in child:
                if _name(part) in ("item", "entry", "title") or len(part):
                    raise _Fallback  # its title would set feedparser's title depth
        elif name == "items":  # RSS 1.0's table of contents
            for part in child.iter():
                if part is not child and _name(part) not in ("rdf_seq", "rdf_li"):
                    raise _Fallback
        elif name == "author" and skip == "entry":
            _author(child)
        elif len(child) or (name in _handled() and name not in _FEED_ALLOWED):
            raise _Fallback  # nested elements, or a handler that may touch the feed's title
    if titles > 1:
        raise _Fallback
    return title, ttl


def _encoding_ok(body: bytes, headers: Mapping[str, str]) -> bool:
    declared = _XML_DECL.match(body)
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8:
        return False
    content_type = headers.get("content-type", "application/xml")
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in _XML_TYPES:
        return False
    charset = _CHARSET.search(content_type)
    if charset:
        return charset.group(1).lower() in _UTF8
    # text/xml without a charset is US-ASCII by RFC 3023 (feedparser follows it)
    return not media.startswith("text/") or body.isascii()


def parse(body: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """feedparser's result for the fields Pantau reads, or None when feedparser must read it.

    `body` has been through `parsers.parse_feed`'s checks (not empty, not HTML, no entity
    declarations); `headers` are lower-cased. The result: {"version", "feed": {"title",
    "ttl"}, "entries": [...]}, each entry a dict keyed as feedparser's entries are.
    """
    if "content-location" in headers or "content-language" in headers:
        return None
    if not _encoding_ok(body, headers):
        return None
    lowered = body.lower()
    if _DOCTYPE.search(lowered) or _has_base(lowered):
        return None
    try:
        return _parse(body, _versions(lowered))
    except (_Fallback, lxml.etree.LxmlError, ValueError, RecursionError):
        return None


def _has_base(lowered: bytes) -> bool:
    at = lowered.find(b"base")
    while at != -1:
        if at and _BASE_ATTR.match(lowered, at - 1):
            return True
        at = lowered.find(b"base", at + 4)
    return False


def _versions(lowered: bytes) -> set[bytes]:
    """The version-fixing namespace URIs the document names (followed by a quote: declared)."""
    found = set()
    for uri in _VERSION_NS:
        at = lowered.find(uri)
        while at != -1:
            end = at + len(uri)
            if lowered[end : end + 1] in (b'"', b"'"):
                found.add(uri)
                break
            at = lowered.find(uri, end)
    return found


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "recover": False,
    "load_dtd": False,
    "remove_comments": False,
    "strip_cdata": True,
}


def _parse(body: bytes, versions: set[bytes]) -> dict[str, Any] | None:
    root = lxml.etree.fromstring(body, parser=lxml.etree.XMLParser(**_PARSER_OPTIONS))
    root_name = _name(root)
    for key in root.attrib:
        if key.lower() != "version" and key != _XML_LANG:
            raise _Fallback
    if root_name == "rss":
        if versions - {b"www.w3.org/2005/atom"}:
            return None
        attr = root.get("version", "")
        version = _RSS_VERSIONS.get(attr) or ("rss20" if attr.startswith("2.") else "rss")
        channels = [child for child in root if isinstance(child.tag, str)]
        if len(channels) != 1 or _name(channels[0]) != "channel" or channels[0].attrib:
            return None
        channel = channels[0]
        title, ttl = _feed_fields(channel, "item")
        items = [(child, None) for child in channel if _name(child) == "item"]
    elif root_name == "feed":
        if versions != {b"www.w3.org/2005/atom"} or root.tag != f"{{{_ATOM}}}feed":
            return None
        version = "atom10"
        title, ttl = _feed_fields(root, "entry")
        items = [(child, None) for child in root if _name(child) == "entry"]
    elif root_name == "rdf_rdf":
        if versions != {b"purl.org/rss/1.0/"}:
            return None
        version = "rss10"
        channels = [child for child in root if _name(child) == "channel"]
        if len(channels) != 1:
            return None
        title, ttl = _feed_fields(channels[0], "item")
        items = []
        channel_seen = False
        for child in root:
            name = _name(child)
            if not name:
                continue
            if name == "channel":
                channel_seen = True
                if "lastmod" in child.attrib or "href" in child.attrib:
                    return None
            elif not channel_seen:
                return None  # an image's title before the channel's hides the feed's title
            if name == "item":
                about = None
                for key, value in child.attrib.items():
                    if key != _RDF_ABOUT:
                        raise _Fallback
                    about = value
                items.append((child, about))
            elif name not in ("channel", "image", "textinput"):
                return None
            elif name != "channel":
                for part in child:
                    if len(part):
                        return None
    else:
        return None
    entries = []
    for item, about in items:
        if about is None and any(key != _XML_LANG for key in item.attrib):
            raise _Fallback  # lastmod/href attributes (CDF) feed feedparser's fields
        entries.append(_read_entry(item, version, about))
    feed: dict[str, Any] = {}
    if title is not None:
        feed["title"] = title
    if ttl is not None:
        feed["ttl"] = ttl
    return {"version": version, "feed": feed, "entries": entries}
