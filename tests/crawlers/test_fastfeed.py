"""The lxml fast path (crawlers/fastfeed.py) gives the same items as feedparser's path.

Every test parses the same bytes both ways (`parse_feed(..., fast_path=False)` is feedparser
for every XML feed) and compares the whole `ParsedFeed`: title, format, ttl, skip counts and
every item field by field. The feedparser test corpus gets the same comparison in
tests/hardening/test_fastfeed_corpus.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.crawlers import fastfeed
from app.crawlers.parsers import ParsedFeed, ParseError, parse_feed

NOW = datetime(2026, 12, 2, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted(
    p
    for p in (*ROOT.glob("crawlers/fixtures/**/*"), *ROOT.glob("social/fixtures/*"))
    if p.suffix in (".rss", ".atom", ".xml")
)
# Fixtures that are not plain feeds: malformed XML (a comment holding "--"), media:group.
FEEDPARSER_ONLY = {"reddit_search.atom", "youtube_channel.xml"}


def both(body: bytes, headers: dict[str, str] | None = None) -> ParsedFeed:
    """The feed by both paths; fails unless they agree."""
    try:
        slow = parse_feed(body, headers=headers, now=NOW, fast_path=False)
    except ParseError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        with pytest.raises(ParseError) as fast_error:
            parse_feed(body, headers=headers, now=NOW)
        assert str(fast_error.value) == message
        raise ParseError(message)
    fast = parse_feed(body, headers=headers, now=NOW)
    assert fast.format == slow.format
    assert fast.title == slow.title
    assert fast.ttl_minutes == slow.ttl_minutes
    assert fast.skipped == slow.skipped
    assert len(fast.items) == len(slow.items)
    for fast_item, slow_item in zip(fast.items, slow.items, strict=True):
        assert fast_item == slow_item
    return fast


def takes_fast_path(body: bytes, headers: dict[str, str] | None = None) -> bool:
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    lowered.setdefault("content-type", "application/xml")
    return fastfeed.parse(body.lstrip(), lowered) is not None


def farm_views() -> list[object]:
    from tests.farm.corpus import Outlet, load_articles
    from tests.farm.model import OutletConfig, Story, View
    from tests.farm.site import syndicated_copy

    articles = load_articles()
    views = []
    for n, full in enumerate((True, False)):
        stories = [
            replace(Story.from_article(a), outlet="o1") for a in articles[n * 30 : n * 30 + 15]
        ]
        stories += [syndicated_copy(a, "o1") for a in articles[n * 30 + 15 : n * 30 + 30]]
        stories.sort(key=lambda s: (s.published_at, s.id), reverse=True)
        views.append(
            View(
                outlet=Outlet("o1", "Outlet Satu", "o1.example"),
                base_url="http://127.0.0.1/o1",
                stories=tuple(stories),
                config=OutletConfig(feed_size=30, full_content=full),
                modified_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
    return views


@pytest.mark.parametrize("kind", ["rss2", "rdf", "atom"])
def test_farm_feeds_take_the_fast_path_with_the_same_items(kind: str) -> None:
    from tests.farm import feeds

    for view in farm_views():
        body = getattr(feeds, kind)(view)
        assert takes_fast_path(body)
        feed = both(body)
        assert len(feed.items) == 30
        assert all(item.published and item.summary and item.author for item in feed.items)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_saved_feeds_give_the_same_items(path: Path) -> None:
    body = path.read_bytes()
    assert takes_fast_path(body) == (path.name not in FEEDPARSER_ONLY)
    assert both(body).items


RSS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    b'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">'
    b"<channel><title>Kanal</title><ttl> 30 </ttl>"
)


def rss(items: bytes, head: bytes = RSS_HEAD) -> bytes:
    return head + items + b"</channel></rss>"


# feedparser's habits the fast path keeps (each case is checked against feedparser itself).
QUIRKS = {
    "guid stands in for a missing link": b"<item><title>a</title>"
    b"<guid>https://x.example/1</guid></item>",
    "a later link wins over a permalink guid": b"<item><guid>https://x.example/g</guid>"
    b"<link>https://x.example/l</link></item>",
    "an empty link keeps the guid out": b"<item><link></link><guid>https://x.example/g</guid>"
    b"</item>",
    "a non-permalink guid is no link": b'<item><guid isPermaLink="false">https://x.example/g'
    b"</guid><title>t</title></item>",
    "&amp; in links is undone": b"<item><link>https://x.example/?a=1&amp;amp;b=2&amp;c;</link>"
    b"</item>",
    "extra slashes after the scheme": b"<item><link>https:///x.example/a</link></item>",
    "a title that looks like HTML is read as HTML": b"<item><link>https://x.example/1</link>"
    b"<title>Banjir &lt;b&gt;besar&lt;/b&gt; &amp;amp; longsor</title></item>",
    "a title that is text stays text": b"<item><link>https://x.example/1</link>"
    b"<title>1 &lt; 2 &amp; <![CDATA[<tag>]]></title></item>",
    "UTF-8 read as Latin-1 is repaired": "<item><link>https://x.example/1</link>"
    "<title>Caf\u00c3\u00a9 \u00e2\u0080\u0093 ok</title></item>".encode(),
    "Windows-1252 C1 code points are mapped": "<item><link>https://x.example/1</link>"
    "<title>\u0093kutipan\u0094 \u0080</title></item>".encode(),
    "comments inside and between elements": b"<!-- c --><item><!-- c -->"
    b"<link>https://x.example/1</link><title>a<!-- c -->b</title></item>",
    "content only: the summary is the content": b"<item><link>https://x.example/1</link>"
    b"<content:encoded><![CDATA[<p>Isi</p>]]></content:encoded></item>",
    "content before description": b"<item><link>https://x.example/1</link>"
    b"<content:encoded><![CDATA[<p>Isi</p><p>Dua</p>]]></content:encoded>"
    b"<description>Ringkas</description></item>",
    "an empty description before content": b"<item><link>https://x.example/1</link>"
    b"<description></description><content:encoded>Isi</content:encoded></item>",
    "author text as given": b"<item><link>https://x.example/1</link>"
    b"<author>redaksi@x.example (Redaksi)</author></item>",
    "dc:date is the update time, pubDate wins": b"<item><link>https://x.example/1</link>"
    b"<dc:date>2026-11-30T10:00:00+07:00</dc:date>"
    b"<pubDate>Mon, 30 Nov 2026 09:00:00 +0700</pubDate></item>",
    "the last of two pubDates wins": b"<item><link>https://x.example/1</link>"
    b"<pubDate>Mon, 30 Nov 2026 09:00:00 +0700</pubDate><pubDate>bukan tanggal</pubDate></item>",
    "atom:link in an RSS item": b'<item><atom:link rel="self" href="https://x.example/s"/>'
    b'<atom:link href="https://x.example/a"/><title>t</title></item>',
    "media and categories are ignored": b"<item><link>https://x.example/1</link>"
    b'<media:content url="https://x.example/i.jpg" medium="image"/>'
    b'<media:thumbnail url="https://x.example/t.jpg"/><category domain="d">Politik</category>'
    b'<enclosure url="https://x.example/a.mp3" type="audio/mpeg" length="1"/>'
    b'<source url="https://y.example/rss">Y</source><comments>https://x.example/c</comments>'
    b"</item>",
    "upper-case element names": b"<item><Link>https://x.example/1</Link><Title>T</Title>"
    b"<PubDate>Mon, 30 Nov 2026 09:00:00 +0700</PubDate></item>",
    "unknown namespaced elements": b'<item xmlns:x="urn:x"><link>https://x.example/1</link>'
    b"<x:title>not the title</x:title><x:link>https://no</x:link></item>",
    "whitespace around values": b"<item>\n <title>\n  Judul  \n</title>\n"
    b" <link>\n https://x.example/1 \n</link>\n</item>",
}


@pytest.mark.parametrize("items", QUIRKS.values(), ids=QUIRKS.keys())
def test_feedparser_quirks_are_kept(items: bytes) -> None:
    body = rss(items)
    assert takes_fast_path(body)
    both(body)


ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
    b'xml:lang="id"><title type="text">Umpan</title><id>urn:umpan</id>'
    b'<link rel="self" href="https://x.example/atom"/><updated>2026-11-30T10:00:00Z</updated>'
    b"<author><name>Redaksi</name></author>"
)
ATOM_QUIRKS = {
    "id stands in for a missing alternate link": b"<entry><id>https://x.example/1</id>"
    b"<title>t</title></entry>",
    "a tag: id stands in too": b"<entry><id>tag:x.example,2026:1</id><title>t</title></entry>",
    "the last alternate HTML link wins": b"<entry><id>urn:1</id>"
    b'<link href="https://x.example/a"/><link rel="alternate" type="text/html" '
    b'href="https://x.example/b"/><link rel="enclosure" href="https://x.example/e"/>'
    b'<link rel="alternate" type="application/pdf" href="https://x.example/pdf"/></entry>',
    "author name and email": b'<entry><link href="https://x.example/1"/>'
    b"<author><name>Ani</name><email>ani@x.example</email><uri>https://x.example/ani</uri>"
    b"</author></entry>",
    "author email only": b'<entry><link href="https://x.example/1"/>'
    b"<author><email>ani@x.example</email></author></entry>",
    "author uri only": b'<entry><link href="https://x.example/1"/>'
    b"<author><uri>https://x.example/ani</uri></author></entry>",
    "html title and content, text summary": b'<entry><link href="https://x.example/1"/>'
    b'<title type="html">A &amp;amp; &lt;i&gt;B&lt;/i&gt;</title>'
    b"<summary>1 &lt; 2</summary>"
    b'<content type="html">&lt;p&gt;Isi&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</content>'
    b"<published>2026-11-30T10:00:00+07:00</published><updated>2026-11-30T11:00:00Z</updated>"
    b"</entry>",
    "a text title with markup-like text stays text": b'<entry><link href="https://x.example/1"/>'
    b"<title>Harga &lt;b&gt;naik&lt;/b&gt;</title></entry>",
    "updated only": b'<entry><link href="https://x.example/1"/>'
    b"<updated>2026-11-30T11:00:00Z</updated></entry>",
}


@pytest.mark.parametrize("entries", ATOM_QUIRKS.values(), ids=ATOM_QUIRKS.keys())
def test_atom_quirks_are_kept(entries: bytes) -> None:
    body = ATOM + entries + b"</feed>"
    assert takes_fast_path(body)
    both(body)


# What the fast path leaves to feedparser (it would have to guess feedparser's answer).
FEEDPARSER_CASES = {
    "malformed XML": rss(b"<item><title>a</title><link>https://x.example/1</link>"),
    "undefined HTML entity": rss(b"<item><title>a&nbsp;b</title></item>"),
    "a DOCTYPE": b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
    b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">' + rss(b"", b"<rss><channel>"),
    "xml:base": rss(b'<item xml:base="https://x.example/d/"><link>a</link></item>'),
    "Latin-1": rss(b"<item><title>caf\xe9</title></item>").replace(b"UTF-8", b"ISO-8859-1"),
    "two titles": rss(b"<item><title></title><title>b</title></item>"),
    "two authors": rss(b"<item><dc:creator>A</dc:creator><dc:creator>B</dc:creator></item>"),
    "media:title": rss(
        b"<item><link>https://x.example/1</link><media:title>m</media:title></item>"
    ),
    "nested elements in an unknown one": rss(
        b'<item xmlns:x="urn:x"><x:box><title>t</title>'
        b"</x:box><link>https://x.example/1</link></item>"
    ),
    "markup inside a title": rss(b"<item><title>a <b>b</b></title></item>"),
    "base64 content": ATOM + b'<entry><content type="application/octet-stream">'
    b"SGFsbw==</content></entry></feed>",
    "xhtml content": ATOM + b'<entry><content type="xhtml"><div xmlns='
    b'"http://www.w3.org/1999/xhtml"><p>a</p></div></content></entry></feed>',
    "Atom 0.3": b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry>'
    b"<title>t</title></entry></feed>",
    "an item outside the channel": b'<rss version="2.0"><channel><title>c</title></channel>'
    b"<item><link>https://x.example/1</link></item></rss>",
}


@pytest.mark.parametrize("body", FEEDPARSER_CASES.values(), ids=FEEDPARSER_CASES.keys())
def test_unusual_feeds_go_to_feedparser(body: bytes) -> None:
    assert not takes_fast_path(body)
    with contextlib.suppress(ParseError):  # refused the same way by both paths
        both(body)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Location": "https://x.example/feeds/"},
        {"Content-Type": "text/xml"},  # US-ASCII by RFC 3023, and the body is not
        {"Content-Type": "application/rss+xml; charset=windows-1252"},
        {"Content-Type": "text/html"},
    ],
)
def test_headers_that_change_the_reading_go_to_feedparser(headers: dict[str, str]) -> None:
    body = rss("<item><link>a/1</link><title>Caf\u00e9</title></item>".encode())
    assert not takes_fast_path(body, headers)
    both(body, headers)


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Content-Type": "application/rss+xml; charset=UTF-8"},
        {"Content-Type": "text/xml; charset=utf-8"},
        {"content-type": "application/atom+xml"},
    ],
)
def test_usual_headers_keep_the_fast_path(headers: dict[str, str] | None) -> None:
    body = rss("<item><link>https://x.example/1</link><title>Caf\u00e9</title></item>".encode())
    assert takes_fast_path(body, headers)
    both(body, headers)


def test_the_item_cap_counts_the_same() -> None:
    items = b"".join(b"<item><link>https://x.example/%d</link></item>" % n for n in range(12))
    slow = parse_feed(rss(items), now=NOW, max_items=5, fast_path=False)
    fast = parse_feed(rss(items), now=NOW, max_items=5)
    assert fast == slow and len(fast.items) == 5 and sum(fast.skipped.values()) == 7
