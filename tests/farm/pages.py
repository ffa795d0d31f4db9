"""Pure renderers for the farm's HTML: article pages (and AMP), listings, static and error pages.

Pages wrap the real title and paragraphs in the chrome a real Indonesian news site has (header,
menus, ads, share buttons, "Baca juga" inserts, related and popular boxes, comments, footer) so
that extractors and link discovery meet the same noise they meet in production. Two themes with
different markup are assigned per outlet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape

from tests.farm.feeds import body_html
from tests.farm.model import Story, View, slugify

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
SECTIONS = ("News", "Nasional", "Megapolitan", "Ekonomi", "Bola", "Otomotif", "Selebriti", "Tekno")
STATIC_PAGES = {
    "tentang-kami": "Tentang Kami",
    "redaksi": "Redaksi",
    "pedoman-media-siber": "Pedoman Media Siber",
    "kontak": "Kontak",
    "karir": "Karir",
    "kebijakan-privasi": "Kebijakan Privasi",
}
COMMENTS = (
    ("warganet_88", "Semoga pemerintah cepat tanggap, jangan cuma janji terus."),
    ("ibu.rina", "Terima kasih infonya min, sangat bermanfaat untuk kami di daerah."),
)
THEMES = (
    {"wrap": "read__content", "title": "read__title", "body": "read__content-body",
     "info": "read__info", "main": "div"},
    {"wrap": "detail__body", "title": "detail__title", "body": "detail__body-text",
     "info": "detail__date", "main": "article"},
)  # fmt: skip


def _e(text: str) -> str:
    return escape(text, quote=True)


def wib_date(when: datetime) -> str:
    """Indonesian date line, e.g. ``Kamis, 22 Maret 2019 | 14:05 WIB``."""
    return (
        f"{DAYS[when.weekday()]}, {when.day} {MONTHS[when.month - 1]} {when.year}"
        f" | {when:%H:%M} WIB"
    )


def _theme(view: View) -> dict[str, str]:
    return THEMES[sum(map(ord, view.outlet.slug)) % len(THEMES)]


def _head(view: View, title: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<link rel="alternate" type="application/rss+xml" title="{_e(view.outlet.name)}"
 href="{_e(view.url("/rss.xml"))}">
<link rel="stylesheet" href="{view.href("/static/css/main.css")}">
{extra}<script>window.dataLayer = window.dataLayer || [];
 dataLayer.push({{"site": "{view.outlet.slug}"}});</script>
</head>
"""


def _header(view: View) -> str:
    menu = "".join(
        f'<li><a href="{view.href(f"/kanal/{slugify(s)}/")}">{s}</a></li>' for s in SECTIONS
    )
    return f"""<body class="site-{view.outlet.slug}">
<header class="site-header">
 <div class="logo"><a href="{view.href("/")}"
  title="{_e(view.outlet.name)}">{_e(view.outlet.name)}</a></div>
 <form class="search" action="{view.href("/cari/")}">
  <input name="q" placeholder="Cari berita..."></form>
 <a class="login" href="{view.href("/login.html")}">Masuk</a>
 <a class="register" href="{view.href("/daftar.html")}">Daftar</a>
</header>
<nav class="main-nav"><ul><li><a href="{view.href("/")}">Beranda</a></li>{menu}
 <li><a href="{view.href("/indeks/")}">Indeks Berita</a></li></ul></nav>
<div class="ads ads-leaderboard" id="div-gpt-ad-top">
 <span class="ads__label">ADVERTISEMENT</span></div>
"""


def _popular(view: View, exclude: str = "") -> str:
    picks = [s for s in view.stories[3:12] if s.id != exclude][:5]
    rows = "".join(
        f'<li><a href="{view.href(s.path)}?utm_source=terpopuler&amp;utm_medium=sidebar">'
        f"{_e(s.title)}</a></li>"
        for s in picks
    )
    return f"""<aside class="sidebar">
 <div class="most-popular"><h3>Terpopuler</h3><ol>{rows}</ol></div>
 <div class="ads ads-sidebar" id="div-gpt-ad-mr1">
  <span class="ads__label">ADVERTISEMENT</span></div>
 <div class="newsletter">Dapatkan update berita pilihan setiap hari.
  <a href="{view.href("/newsletter.html")}">Langganan</a></div>
</aside>
"""


def _footer(view: View) -> str:
    links = "".join(
        f'<li><a href="{view.href(f"/{slug}.html")}">{name}</a></li>'
        for slug, name in STATIC_PAGES.items()
    )
    return f"""<footer class="site-footer">
 <ul class="footer-links">{links}</ul>
 <div class="social">Ikuti kami: <a href="https://www.facebook.com/{view.outlet.slug}">Facebook</a>
 <a href="https://twitter.com/{view.outlet.slug}">Twitter</a> <a href="https://www.instagram.com/{view.outlet.slug}">Instagram</a></div>
 <p class="copyright">Copyright &copy; 2019 {_e(view.outlet.name)}. All rights reserved.</p>
</footer>
<script src="{view.href("/static/js/main.js")}" async></script>
</body>
</html>
"""


def _share(view: View, story: Story, where: str) -> str:
    url = _e(view.url(story.path))
    return (
        f'<div class="share-bar share-bar--{where}"><span>Bagikan:</span> '
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={url}" rel="nofollow">Facebook</a> '
        f'<a href="https://twitter.com/intent/tweet?url={url}" rel="nofollow">Twitter</a> '
        f'<a href="https://api.whatsapp.com/send?text={url}" rel="nofollow">WhatsApp</a> '
        '<button class="copy-link">Salin tautan</button></div>\n'
    )


def related(view: View, story: Story, count: int = 4) -> list[Story]:
    """Stories shown in the "Berita Terkait" box: neighbours in the outlet's list."""
    others = [s for s in view.stories if s.id != story.id]
    if not others:
        return []
    start = next((i for i, s in enumerate(view.stories) if s.id == story.id), 0)
    return [others[(start + k) % len(others)] for k in range(min(count, len(others)))]


def _json_ld(view: View, story: Story) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": view.url(story.path)},
        "headline": story.title,
        "description": story.summary[:200],
        "datePublished": story.published_at.isoformat(),
        "dateModified": story.published_at.isoformat(),
        "articleSection": story.section,
        "author": {"@type": "Person", "name": story.author},
        "publisher": {
            "@type": "Organization",
            "name": view.outlet.name,
            "logo": {"@type": "ImageObject", "url": view.url("/static/img/logo.png")},
        },
        "image": [view.url(f"/static/img/{story.id}.jpg")],
    }
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>\n'


def _article_meta(view: View, story: Story) -> str:
    url = _e(view.url(story.path))
    return f"""<meta name="description" content="{_e(story.summary[:160])}">
<meta name="author" content="{_e(story.author)}">
<link rel="canonical" href="{url}">
<link rel="amphtml" href="{_e(view.url(story.amp_path))}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{_e(view.outlet.name)}">
<meta property="og:title" content="{_e(story.title)}">
<meta property="og:description" content="{_e(story.summary[:160])}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{_e(view.url(f"/static/img/{story.id}.jpg"))}">
<meta property="og:locale" content="id_ID">
<meta property="article:published_time" content="{story.published_at.isoformat()}">
<meta property="article:modified_time" content="{story.published_at.isoformat()}">
<meta property="article:section" content="{_e(story.section)}">
<meta property="article:author" content="{_e(story.author)}">
{_json_ld(view, story)}"""


def _body_with_inserts(view: View, story: Story, also: Story | None) -> str:
    parts = []
    for i, para in enumerate(story.paragraphs):
        parts.append(f"<p>{escape(para, quote=False)}</p>")
        if i == 1 and also is not None:
            parts.append(
                f'<p class="baca-juga"><strong>Baca juga:</strong> '
                f'<a href="{view.href(also.path)}">{_e(also.title)}</a></p>'
            )
        if i == 3:
            parts.append(
                '<div class="ads ads-inarticle" id="div-gpt-ad-inarticle">'
                '<span class="ads__label">ADVERTISEMENT</span></div>'
            )
    return "\n".join(parts)


def article_page(view: View, story: Story) -> bytes:
    """The full article page with chrome around the real title and paragraphs."""
    t = _theme(view)
    rel = related(view, story, 5)
    tags = "".join(
        f'<a class="tag" href="{view.href(f"/tag/{slugify(tag)}/")}">{_e(tag)}</a> '
        for tag in story.tags
    )
    related_rows = "".join(
        f'<li><a href="{view.href(s.path)}">{_e(s.title)}</a></li>' for s in rel[1:]
    )
    comments = "".join(
        f'<div class="comment"><b class="comment__user">{user}</b><p>{text}</p></div>'
        for user, text in COMMENTS
    )
    main, section = t["main"], _e(story.section)
    return (
        _head(view, f"{story.title} - {view.outlet.name}", _article_meta(view, story))
        + _header(view)
        + f"""<div class="breadcrumb"><a href="{view.href("/")}">Beranda</a> &rsaquo;
 <a href="{view.href(f"/kanal/{slugify(story.section)}/")}">{section}</a></div>
<main class="container">
<{main} class="{t["wrap"]}">
<h1 class="{t["title"]}">{_e(story.title)}</h1>
<div class="{t["info"]}"><span class="author">Penulis:
 <a href="{view.href(f"/penulis/{slugify(story.author)}/")}">{_e(story.author)}</a></span>
 <time datetime="{story.published_at.isoformat()}">{wib_date(story.published_at)}</time></div>
{_share(view, story, "top")}<figure class="photo">
<img src="{view.href(f"/static/img/{story.id}.jpg")}" alt="{_e(story.title)}">
<figcaption>Ilustrasi. (Dok. {_e(view.outlet.name)})</figcaption></figure>
<div class="{t["body"]}">
{_body_with_inserts(view, story, rel[0] if rel else None)}
</div>
<div class="tags">Tag: {tags}</div>
{_share(view, story, "bottom")}</{main}>
<section class="related-articles"><h3>Berita Terkait</h3><ul>{related_rows}</ul></section>
<section class="comments" id="komentar"><h3>Komentar</h3>{comments}
 <a href="{view.href("/login.html")}">Masuk untuk berkomentar</a></section>
</main>
"""
        + _popular(view, story.id)
        + _footer(view)
    ).encode()


def amp_page(view: View, story: Story) -> bytes:
    """The AMP variant: lighter chrome, ``rel=canonical`` pointing at the main article URL."""
    rel = "".join(
        f'<li><a href="{view.href(s.amp_path)}">{_e(s.title)}</a></li>'
        for s in related(view, story, 3)
    )
    return f"""<!doctype html>
<html amp lang="id">
<head>
<meta charset="utf-8">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{_e(story.title)} - {_e(view.outlet.name)}</title>
<link rel="canonical" href="{_e(view.url(story.path))}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<meta property="article:published_time" content="{story.published_at.isoformat()}">
{_json_ld(view, story)}<style amp-boilerplate>body{{visibility:hidden}}</style>
<noscript><style amp-boilerplate>body{{visibility:visible}}</style></noscript>
<style amp-custom>body{{font-family:sans-serif}}</style>
</head>
<body>
<header class="amp-header"><a href="{view.href("/")}">{_e(view.outlet.name)}</a>
 <a href="{view.href("/")}">Beranda</a></header>
<article class="amp-article">
<h1>{_e(story.title)}</h1>
<div class="byline">{_e(story.author)} &middot;
 <time datetime="{story.published_at.isoformat()}">{wib_date(story.published_at)}</time></div>
<amp-img src="{view.href(f"/static/img/{story.id}.jpg")}" width="640" height="360"
 layout="responsive"></amp-img>
<div class="amp-body">{body_html(story)}</div>
</article>
<amp-ad width="300" height="250" type="doubleclick" data-slot="/farm/amp"></amp-ad>
<section class="related"><h3>Berita Terkait</h3><ul>{rel}</ul></section>
<footer class="amp-footer">Copyright &copy; 2019 {_e(view.outlet.name)}</footer>
</body>
</html>
""".encode()


def listing_page(
    view: View, stories: Sequence[Story], page: int, *, heading: str, path: str
) -> bytes | None:
    """One page of a listing (newest first), or None when the page number is out of range."""
    size = view.config.page_size
    pages = max(1, -(-len(stories) // size))
    if page < 1 or page > pages:
        return None
    rows = "\n".join(
        f"""<article class="list-item">
 <a class="list-item__thumb" href="{view.href(s.path)}">
  <img src="{view.href(f"/static/img/{s.id}-thumb.jpg")}" alt=""></a>
 <span class="list-item__section">
  <a href="{view.href(f"/kanal/{slugify(s.section)}/")}">{_e(s.section)}</a></span>
 <h2 class="list-item__title"><a href="{view.href(s.path)}">{_e(s.title)}</a></h2>
 <time datetime="{s.published_at.isoformat()}">{wib_date(s.published_at)}</time>
 <p class="list-item__lead">{_e(s.summary[:150])}...</p>
</article>"""
        for s in stories[(page - 1) * size : page * size]
    )
    href = view.href(path)
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="{href}?page={page - 1}">Sebelumnya</a>')
    for n in range(max(1, page - 2), min(pages, page + 2) + 1):
        nav.append(f'<a href="{href}?page={n}">{n}</a>' if n != page else f"<span>{n}</span>")
    if page < pages:
        nav.append(f'<a rel="next" href="{href}?page={page + 1}">Selanjutnya</a>')
    canonical = f'<link rel="canonical" href="{_e(view.url(path))}?page={page}">\n'
    return (
        _head(view, f"{heading} - {view.outlet.name}", canonical)
        + _header(view)
        + f"""<main class="container">
<h1 class="page-title">{_e(heading)}</h1>
<div class="latest">
{rows}
</div>
<nav class="pagination">{" ".join(nav)}</nav>
</main>
"""
        + _popular(view)
        + _footer(view)
    ).encode()


def static_page(view: View, name: str) -> bytes | None:
    """About, editorial, contact... pages linked from the footer (never articles)."""
    if name not in STATIC_PAGES:
        return None
    title = STATIC_PAGES[name]
    return (
        _head(view, f"{title} - {view.outlet.name}")
        + _header(view)
        + f'<main class="container"><h1>{title}</h1>\n<p>{_e(view.outlet.name)} adalah '
        "media daring. Halaman ini berisi informasi perusahaan.</p></main>\n" + _footer(view)
    ).encode()


def not_found_page(message: str = "Halaman tidak ditemukan") -> bytes:
    """A small HTML error page."""
    return (
        f'<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"><title>{_e(message)}'
        f'</title></head><body><h1>{_e(message)}</h1><p><a href="/">Beranda</a></p></body></html>\n'
    ).encode()


def farm_index(views: Sequence[View]) -> bytes:
    """The root page of a multi-outlet server: links to every outlet and its feeds."""
    rows = "\n".join(
        f'<li><a href="{view.href("/")}">{_e(view.outlet.name)}</a> '
        f'(<a href="{view.href("/rss.xml")}">RSS</a>, {len(view.stories)} artikel)</li>'
        for view in views
    )
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"><title>Pantau news farm'
        f"</title></head><body><h1>Pantau news farm</h1><ul>\n{rows}\n</ul>"
        '<p><a href="/opml.xml">OPML</a></p></body></html>\n'
    ).encode()
