from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.crawlers.parsers import ParseError, html_to_text, parse_feed, parse_sitemap

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Berita Jakarta</title><ttl>15</ttl>
<item><title>Banjir rendam 30 RW di Jakarta Timur</title>
<link>https://berita.example.id/read/1/banjir?utm_source=rss</link>
<guid isPermaLink="false">berita-1</guid>
<pubDate>Thu, 19 Nov 2026 08:00:00 +0700</pubDate>
<description>&lt;p&gt;Hujan deras sejak dini hari.&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>Hujan deras sejak dini hari.</p><p>Warga mengungsi.</p>
<script>x()</script>]]></content:encoded>
</item>
<item><title>Tanpa tanggal</title><link>https://berita.example.id/read/2</link></item>
<item><title>Tanpa tautan</title></item>
</channel></rss>"""


def test_rss_items_text_dates_and_ttl() -> None:
    feed = parse_feed(RSS, now=NOW)
    assert feed.ttl_minutes == 15
    assert [i.title for i in feed.items] == [
        "Banjir rendam 30 RW di Jakarta Timur",
        "Tanpa tanggal",
    ]
    first = feed.items[0]
    assert first.guid == "berita-1"
    assert first.published == datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    assert first.published_trusted
    assert first.summary == "Hujan deras sejak dini hari."
    assert first.body == "Hujan deras sejak dini hari.\n\nWarga mengungsi."
    assert feed.items[1].published is None and not feed.items[1].published_trusted


def test_atom_and_json_feed() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><title>Satu</title><link href="https://a.id/1"/><id>urn:a:1</id>
    <updated>2026-11-20T10:00:00Z</updated><summary>Ringkas</summary></entry></feed>"""
    items = parse_feed(atom, now=NOW).items
    assert items[0].url == "https://a.id/1" and items[0].summary == "Ringkas"
    jf = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
      {"id": "1", "url": "https://j.id/1", "title": "Satu", "content_html": "<p>Isi</p>",
       "date_published": "2026-11-20T10:00:00+07:00", "authors": [{"name": "Rina"}]}]}"""
    item = parse_feed(jf, now=NOW).items[0]
    assert (item.title, item.body, item.author) == ("Satu", "Isi", "Rina")
    assert item.published == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_future_dates_are_flagged_not_trusted() -> None:
    body = RSS.replace(b"Thu, 19 Nov 2026 08:00:00 +0700", b"Mon, 01 Jan 2035 08:00:00 +0700")
    assert not parse_feed(body, now=NOW).items[0].published_trusted


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body>Not a feed</body></html>", "HTML page"),
        (b"<html><head><title>x</title></head></html>", "HTML page"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;">]><rss>&b;</rss>',
            "entities",
        ),
        (b"this is plain text", "not a recognisable"),
        (b'{"items": []}', "not a JSON Feed"),
    ],
)
def test_bad_feeds_raise_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_feed(body, now=NOW)


def test_news_sitemap_and_index() -> None:
    sitemap = b"""<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://s.id/read/1</loc><news:news><news:publication><news:name>S</news:name>
      <news:language>id</news:language></news:publication>
      <news:publication_date>2026-11-20T08:00:00+07:00</news:publication_date>
      <news:title>Gubernur resmikan halte</news:title></news:news></url>
    </urlset>"""
    feed, children = parse_sitemap(sitemap, now=NOW)
    assert children == [] and feed.format == "news-sitemap"
    assert feed.items[0].title == "Gubernur resmikan halte"
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://s.id/sitemap-1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index, now=NOW)[1] == ["https://s.id/sitemap-1.xml"]


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    assert (
        html_to_text("<p>Satu</p><script>evil()</script><p>Dua&nbsp;tiga</p>") == "Satu\n\nDua tiga"
    )
    assert html_to_text("  ") is None


def test_markup_in_titles_and_descriptions_is_stored_as_text() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>&lt;b onclick="x()"&gt;Banjir&lt;/b&gt; &amp;amp; longsor</title>
    <link>https://a.id/1</link>
    <description>&lt;p&gt;Isi&lt;/p&gt;&lt;applet&gt;jahat&lt;/applet&gt;&lt;style&gt;p{}&lt;/style&gt;
    &lt;a href="/relatif"&gt;tautan&lt;/a&gt;</description></item></channel></rss>"""
    item = parse_feed(body, now=NOW).items[0]
    assert item.title == "Banjir & longsor"
    assert item.summary == "Isi\n\ntautan"


def _lxml_html_text(fragment: str | None) -> str | None:
    """html_to_text as it was written with lxml.html (the reference for the plain-lxml one)."""
    import lxml.etree
    import lxml.html

    from app.crawlers.parsers import _tidy

    if not fragment or not fragment.strip():
        return None
    if "<" not in fragment:
        return _tidy(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _tidy(fragment)
    for bad in root.xpath(".//script|.//style|.//noscript|.//applet"):
        bad.drop_tree()
    for block in root.xpath(".//p|.//br|.//div|.//li|.//h1|.//h2|.//h3|.//h4|.//blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return _tidy(root.text_content())


@pytest.mark.parametrize(
    "fragment",
    [
        "<p>a</p> b",
        "  lead <b>x</b> tail",
        "<html><body><p>full</p></body></html>",
        "<!doctype html><p>d</p>",
        "<script>x</script>after",
        "<div><noscript><script>s</script>ns</noscript>t</div>",
        "<!-- c --><script>x</script>tail",
        "<p>one</p><!--c--><style>s</style>tail2",
        "<",
        "<>",
        "&amp; <",
        "<head><title>t</title></head>x",
        "<svg><script>1</script></svg>y",
        "<p>a\u00a0b\tc</p><ul><li>1</li><li>2</li></ul><h2>h</h2>z<br>w",
        "<div>  <p>  spaced  </p>  </div>\n\n\n<blockquote>q</blockquote>",
        "<applet>a</applet><p>text &lt;kept&gt;</p>",
    ],
)
def test_html_to_text_matches_lxml_html(fragment: str) -> None:
    assert html_to_text(fragment) == _lxml_html_text(fragment)
