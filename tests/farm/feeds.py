"""Pure renderers for machine-readable outputs: feeds, sitemaps, OPML and robots.txt.

Each function takes a :class:`View` (an immutable snapshot of one outlet) and returns bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.utils import format_datetime
from html import escape

from tests.farm.model import Story, View


def _x(text: str) -> str:
    """Escape text for XML element content and attribute values."""
    return escape(text, quote=True)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def body_html(story: Story) -> str:
    """The article body as HTML paragraphs (what full-content feeds carry)."""
    return "".join(f"<p>{escape(p, quote=False)}</p>" for p in story.paragraphs)


def _channel_title(view: View) -> str:
    return f"{view.outlet.name} - Berita Terkini"


def rss2(view: View) -> bytes:
    """RSS 2.0 with guid, RFC 822 pubDate in +0700, summary description, optional full body."""
    full = view.config.full_content
    items = []
    for s in view.feed_stories:
        content = (
            f"\n      <content:encoded>{_cdata(body_html(s))}</content:encoded>" if full else ""
        )
        items.append(
            f"""    <item>
      <title>{_x(s.title)}</title>
      <link>{_x(view.item_link(s))}</link>
      <guid isPermaLink="false">{_x(s.guid)}</guid>
      <pubDate>{format_datetime(s.published_at)}</pubDate>
      <dc:creator>{_x(s.author)}</dc:creator>
      <category>{_x(s.category)}</category>
      <description>{_x(s.summary)}</description>{content}
    </item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>{_x(_channel_title(view))}</title>
    <link>{_x(view.url("/"))}</link>
    <description>{_x(f"Berita terbaru dari {view.outlet.name}")}</description>
    <language>id</language>
    <lastBuildDate>{format_datetime(view.modified_at)}</lastBuildDate>
    <ttl>{view.config.ttl}</ttl>
    <atom:link href="{_x(view.url("/rss.xml"))}" rel="self" type="application/rss+xml"/>
{chr(10).join(items)}
  </channel>
</rss>
""".encode()


def rdf(view: View) -> bytes:
    """RSS 1.0 (RDF) with ``dc:date`` in ISO 8601."""
    seq = "\n".join(
        f'        <rdf:li rdf:resource="{_x(view.item_link(s))}"/>' for s in view.feed_stories
    )
    items = "\n".join(
        f"""  <item rdf:about="{_x(view.item_link(s))}">
    <title>{_x(s.title)}</title>
    <link>{_x(view.item_link(s))}</link>
    <description>{_x(s.summary)}</description>
    <dc:date>{s.published_at.isoformat()}</dc:date>
    <dc:creator>{_x(s.author)}</dc:creator>
    <dc:subject>{_x(s.category)}</dc:subject>
  </item>"""
        for s in view.feed_stories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{_x(view.url("/rdf.xml"))}">
    <title>{_x(_channel_title(view))}</title>
    <link>{_x(view.url("/"))}</link>
    <description>{_x(f"Berita terbaru dari {view.outlet.name}")}</description>
    <dc:language>id</dc:language>
    <dc:date>{view.modified_at.isoformat()}</dc:date>
    <items>
      <rdf:Seq>
{seq}
      </rdf:Seq>
    </items>
  </channel>
{items}
</rdf:RDF>
""".encode()


def atom(view: View) -> bytes:
    """Atom 1.0: ``id`` is a tag URI built from the GUID, summary plus optional HTML content."""
    full = view.config.full_content
    entries = []
    for s in view.feed_stories:
        content = f'\n    <content type="html">{_x(body_html(s))}</content>' if full else ""
        entries.append(
            f"""  <entry>
    <id>tag:{view.outlet.domain},{s.published_at:%Y}:{_x(s.guid)}</id>
    <title>{_x(s.title)}</title>
    <link rel="alternate" type="text/html" href="{_x(view.item_link(s))}"/>
    <published>{s.published_at.isoformat()}</published>
    <updated>{s.published_at.isoformat()}</updated>
    <author><name>{_x(s.author)}</name></author>
    <category term="{_x(s.category)}"/>
    <summary>{_x(s.summary)}</summary>{content}
  </entry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="id">
  <id>{_x(view.url("/"))}</id>
  <title>{_x(_channel_title(view))}</title>
  <updated>{view.modified_at.isoformat()}</updated>
  <link rel="self" type="application/atom+xml" href="{_x(view.url("/atom.xml"))}"/>
  <link rel="alternate" type="text/html" href="{_x(view.url("/"))}"/>
{chr(10).join(entries)}
</feed>
""".encode()


def json_feed(view: View) -> bytes:
    """JSON Feed 1.1."""
    items = []
    for s in view.feed_stories:
        item: dict[str, object] = {
            "id": s.guid,
            "url": view.item_link(s),
            "title": s.title,
            "summary": s.summary,
            "date_published": s.published_at.isoformat(),
            "authors": [{"name": s.author}],
            "tags": list(s.tags),
        }
        if view.config.full_content:
            item["content_html"] = body_html(s)
        else:
            item["content_text"] = s.summary
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _channel_title(view),
        "home_page_url": view.url("/"),
        "feed_url": view.url("/feed.json"),
        "language": "id",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()


_URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def news_sitemap(view: View) -> bytes:
    """Google News sitemap of the newest ``news_sitemap_size`` stories."""
    urls = "\n".join(
        f"""  <url>
    <loc>{_x(view.url(s.path))}</loc>
    <news:news>
      <news:publication>
        <news:name>{_x(view.outlet.name)}</news:name>
        <news:language>id</news:language>
      </news:publication>
      <news:publication_date>{s.published_at.isoformat()}</news:publication_date>
      <news:title>{_x(s.title)}</news:title>
    </news:news>
  </url>"""
        for s in view.stories[: view.config.news_sitemap_size]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{_URLSET}
  xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
""".encode()


def months(view: View) -> list[str]:
    """``YYYY-MM`` of every month with stories, newest first."""
    return sorted({f"{s.published_at:%Y-%m}" for s in view.stories}, reverse=True)


def sitemap(view: View, month: str | None = None) -> bytes:
    """Plain sitemap of all stories, or of one month (``YYYY-MM``)."""
    stories = [s for s in view.stories if month is None or f"{s.published_at:%Y-%m}" == month]
    urls = "\n".join(
        f"  <url><loc>{_x(view.url(s.path))}</loc>"
        f"<lastmod>{s.published_at.isoformat()}</lastmod></url>"
        for s in stories
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{_URLSET}>\n{urls}\n</urlset>\n'.encode()


def sitemap_index(view: View) -> bytes:
    """Sitemap index pointing to the news sitemap and one sitemap per month."""
    return _index(view, ["/sitemap-news.xml"] + [f"/sitemap-{m}.xml" for m in months(view)])


def sitemap_archive(view: View) -> bytes:
    """Index of indexes, as large outlets publish: one index per year, of that year's months."""
    years = sorted({m[:4] for m in months(view)}, reverse=True)
    return _index(view, [f"/sitemap-index-{y}.xml" for y in years])


def year_index(view: View, year: str) -> bytes:
    """Sitemap index of one year's month sitemaps (``/sitemap-index-YYYY.xml``)."""
    return _index(view, [f"/sitemap-{m}.xml" for m in months(view) if m.startswith(year)])


def _index(view: View, paths: list[str]) -> bytes:
    entries = "\n".join(
        f"  <sitemap><loc>{_x(view.url(p))}</loc>"
        f"<lastmod>{view.modified_at.isoformat()}</lastmod></sitemap>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</sitemapindex>\n"
    ).encode()


FEED_PATHS = {"rss": "/rss.xml", "atom": "/atom.xml", "json": "/feed.json", "rdf": "/rdf.xml"}
_FEED_TYPES = {"rss": "rss", "atom": "atom", "json": "json", "rdf": "rss"}


def opml(views: Iterable[View], kind: str = "rss") -> bytes:
    """OPML 2.0 listing one feed per outlet (``kind``: rss, atom, json, rdf or all)."""
    kinds = list(FEED_PATHS) if kind == "all" else [kind]
    lines = []
    for view in views:
        for k in kinds:
            lines.append(
                f'    <outline type="{_FEED_TYPES[k]}" text="{_x(view.outlet.name)}" '
                f'title="{_x(view.outlet.name)}" xmlUrl="{_x(view.url(FEED_PATHS[k]))}" '
                f'htmlUrl="{_x(view.url("/"))}"/>'
            )
    body = "\n".join(lines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Pantau news farm</title></head>
  <body>
  <outline text="Berita" title="Berita">
{body}
  </outline>
  </body>
</opml>
""".encode()


def robots(views: Iterable[View], sitemaps: bool = True) -> bytes:
    """robots.txt for the given outlets (paths are prefixed with each outlet's base path)."""
    lines = ["User-agent: *"]
    view_list = list(views)
    for view in view_list:
        lines += [f"Disallow: {view.href(p)}" for p in view.config.robots_disallow]
    if not any(view.config.robots_disallow for view in view_list):
        lines.append("Disallow:")
    if sitemaps:
        lines.append("")
        lines += [f"Sitemap: {view.url('/sitemap-index.xml')}" for view in view_list]
    return ("\n".join(lines) + "\n").encode()
