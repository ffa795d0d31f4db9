"""The farm's content: which stories each outlet has published, and rendering a path to bytes.

:class:`Site` holds the state (stories per outlet, per-outlet settings) and its data mutations
(publish held-back articles, syndicate copies, GUID churn, removals). :meth:`Site.render` is pure
with respect to that state: a path in, a :class:`Page` (status, content type, bytes) out. The HTTP
server adds transport behaviour (validators, gzip, injected errors) on top.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from tests.farm import feeds, pages
from tests.farm.corpus import OUTLETS, WIB, Article, Outlet, outlet_for, stable_int
from tests.farm.model import OutletConfig, Story, View, slugify

CITIES = ("JAKARTA", "BANDUNG", "SURABAYA", "MEDAN", "SEMARANG", "MAKASSAR", "PEKANBARU")
TITLE_EDITS = ("{t} | {o}", "Terkini: {t}", "{t} - Berita Terkini", "{t}!", "BREAKING: {t}")
WORD_EDITS = (
    ("mengatakan", "menuturkan"), ("menurut", "kata"), ("saat ini", "kini"), ("juga", "pun"),
    ("tersebut", "itu"), ("sangat", "amat"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered response: ``location`` is set for redirects."""

    status: int
    content_type: str
    body: bytes
    last_modified: datetime | None = None
    location: str | None = None


HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
FEED_ROUTES = {
    "/rss.xml": (feeds.rss2, "application/rss+xml; charset=utf-8"),
    "/rdf.xml": (feeds.rdf, "application/rdf+xml; charset=utf-8"),
    "/atom.xml": (feeds.atom, "application/atom+xml; charset=utf-8"),
    "/feed.json": (feeds.json_feed, "application/feed+json; charset=utf-8"),
    "/sitemap-news.xml": (feeds.news_sitemap, XML),
    "/sitemap.xml": (feeds.sitemap, XML),
    "/sitemap-index.xml": (feeds.sitemap_index, XML),
    "/sitemap-archive.xml": (feeds.sitemap_archive, XML),
}


def syndicated_copy(
    article: Article | Story, to_outlet: str, delay: timedelta | None = None
) -> Story:
    """A deterministic republication of ``article`` by ``to_outlet`` (a slug).

    The copy gets its own URL id (``<source id>-<outlet>``), a slightly changed title (prefix or
    suffix), the same paragraphs with small edits (a dateline, one or two word swaps, a closing
    credit line) and a publication time 10 to 190 minutes after the original unless ``delay``.
    """
    original = article if isinstance(article, Story) else Story.from_article(article)
    outlet = next((o for o in _all_outlets() if o.slug == to_outlet), None)
    name = outlet.name if outlet else to_outlet.title()
    seed = stable_int("syndicate", original.source_id, to_outlet)
    title = TITLE_EDITS[seed % len(TITLE_EDITS)].format(t=original.title, o=name)
    paragraphs = list(original.paragraphs) or [""]
    city = CITIES[seed // 7 % len(CITIES)]
    paragraphs[0] = f"{city}, {name} - {paragraphs[0]}"
    swaps = 0
    for old, new in WORD_EDITS[seed % 3 :]:
        for i, para in enumerate(paragraphs):
            if f" {old} " in para and swaps < 2:
                paragraphs[i] = para.replace(f" {old} ", f" {new} ", 1)
                swaps += 1
                break
    paragraphs.append(f"(Sumber: {original.outlet}/{slugify(name)[:4]})")
    return dataclasses.replace(
        original,
        id=f"{original.source_id}-{to_outlet}",
        outlet=to_outlet,
        title=title,
        paragraphs=tuple(paragraphs),
        published_at=original.published_at + (delay or timedelta(minutes=10 + seed % 181)),
        guid_rev=0,
    )


def _all_outlets() -> list[Outlet]:
    return list(OUTLETS.values())


class Site:
    """All outlets of the farm and what each has published. Thread-safe.

    ``holdback`` keeps each outlet's newest N articles unpublished, ready for
    :meth:`publish_next` to make a feed grow. ``config`` is the default :class:`OutletConfig`.
    Every mutation bumps :attr:`version` and the outlet's modification time (at least one second
    past the previous one, so ``If-Modified-Since`` sees the change).
    """

    def __init__(
        self,
        articles: Iterable[Article],
        *,
        holdback: int = 0,
        config: OutletConfig | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self.version = 0
        self._outlets: dict[str, Outlet] = {}
        self._published: dict[str, list[Story]] = {}
        self._reserve: dict[str, list[Story]] = {}
        self._gone: set[tuple[str, str]] = set()
        self._articles: dict[str, Article] = {}
        by_outlet: dict[str, list[Story]] = {}
        for article in articles:
            outlet = outlet_for(article.outlet)
            self._outlets[outlet.slug] = outlet
            self._articles[article.id] = article
            by_outlet.setdefault(outlet.slug, []).append(Story.from_article(article))
        for slug, stories in by_outlet.items():
            stories.sort(key=lambda s: (s.published_at, s.id))
            cut = len(stories) - min(holdback, len(stories))
            self._published[slug] = stories[:cut][::-1]
            self._reserve[slug] = stories[cut:]
        self._config = {slug: config or OutletConfig() for slug in self._outlets}
        self._modified = {slug: self._newest(slug) for slug in self._outlets}
        self._views: dict[tuple[str, str], tuple[int, View]] = {}

    # ----- reading ---------------------------------------------------------------------------

    @property
    def outlets(self) -> list[Outlet]:
        """Outlets in slug order."""
        return [self._outlets[k] for k in sorted(self._outlets)]

    def stories(self, outlet: str) -> list[Story]:
        """Published stories of an outlet, newest first."""
        return list(self._published[outlet])

    def reserve(self, outlet: str) -> list[Story]:
        """Held-back stories of an outlet, in the order :meth:`publish_next` publishes them."""
        return list(self._reserve[outlet])

    def story(self, outlet: str, story_id: str) -> Story:
        """A published story by outlet slug and id (KeyError if absent)."""
        for s in self._published[outlet]:
            if s.id == story_id:
                return s
        raise KeyError(f"{outlet}/{story_id}")

    def config(self, outlet: str) -> OutletConfig:
        """Current settings of an outlet."""
        return self._config[outlet]

    def modified_at(self, outlet: str) -> datetime:
        """When the outlet last changed (drives Last-Modified of feeds and listings)."""
        return self._modified[outlet]

    def view(self, outlet: str, base_url: str) -> View:
        """An immutable snapshot of one outlet whose root is at ``base_url``."""
        key = (outlet, base_url)
        with self._lock:
            cached = self._views.get(key)
            if cached and cached[0] == self.version:
                return cached[1]
            stories = tuple(self._published[outlet])
            view = View(
                outlet=self._outlets[outlet],
                base_url=base_url.rstrip("/"),
                stories=stories,
                config=self._config[outlet],
                modified_at=self._modified[outlet],
                by_id={s.id: s for s in stories},
            )
            self._views[key] = (self.version, view)
            return view

    # ----- mutations -------------------------------------------------------------------------

    def configure(self, outlet: str | None = None, **changes: object) -> None:
        """Change :class:`OutletConfig` fields of one outlet (or all when ``outlet`` is None)."""
        with self._lock:
            for slug in [outlet] if outlet else list(self._outlets):
                self._config[slug] = dataclasses.replace(self._config[slug], **changes)  # type: ignore[arg-type]
                self._touch(slug)

    def publish_next(
        self, outlet: str, count: int = 1, *, at: datetime | None = None
    ) -> list[Story]:
        """Publish the next ``count`` held-back stories (the feed grows); returns them.

        ``at`` restamps their publication time (e.g. "now" for a live demo).
        """
        with self._lock:
            taken = self._reserve[outlet][:count]
            del self._reserve[outlet][:count]
            if at is not None:
                taken = [dataclasses.replace(s, published_at=at) for s in taken]
            for story in taken:
                self._insert(story)
            return taken

    def publish(self, story: Story | Article, *, at: datetime | None = None) -> Story:
        """Publish any story (or dataset article) in its outlet; returns the published story."""
        with self._lock:
            if isinstance(story, Article):
                self._articles[story.id] = story
                story = Story.from_article(story)
            if at is not None:
                story = dataclasses.replace(story, published_at=at)
            if story.outlet not in self._outlets:
                outlet = next((o for o in _all_outlets() if o.slug == story.outlet), None)
                self._outlets[story.outlet] = outlet or Outlet(story.outlet, story.outlet, "")
                self._published[story.outlet], self._reserve[story.outlet] = [], []
                self._config[story.outlet] = OutletConfig()
                self._modified[story.outlet] = story.published_at
            self._insert(story)
            return story

    def syndicate(self, source_id: str, to_outlet: str, *, delay: timedelta | None = None) -> Story:
        """Publish a syndicated copy of dataset article ``source_id`` in ``to_outlet``."""
        return self.publish(syndicated_copy(self._articles[source_id], to_outlet, delay))

    def churn_guids(self, outlet: str, count: int | None = None) -> list[Story]:
        """Give the newest ``count`` (default all) published stories new GUIDs, same links."""
        with self._lock:
            stories = self._published[outlet]
            n = len(stories) if count is None else min(count, len(stories))
            for i in range(n):
                stories[i] = dataclasses.replace(stories[i], guid_rev=stories[i].guid_rev + 1)
            self._touch(outlet)
            return stories[:n]

    def remove(self, outlet: str, story_id: str, *, gone: bool = True) -> None:
        """Unpublish a story: it leaves feeds, and its page answers 410 (or 404 if not gone)."""
        with self._lock:
            self._published[outlet] = [s for s in self._published[outlet] if s.id != story_id]
            if gone:
                self._gone.add((outlet, story_id))
            self._touch(outlet)

    def _insert(self, story: Story) -> None:
        stories = [s for s in self._published[story.outlet] if s.id != story.id] + [story]
        stories.sort(key=lambda s: (s.published_at, s.id), reverse=True)
        self._published[story.outlet] = stories
        self._gone.discard((story.outlet, story.id))
        self._touch(story.outlet)

    def _newest(self, outlet: str) -> datetime:
        stories = self._published[outlet]
        return stories[0].published_at if stories else datetime(2019, 1, 1, tzinfo=WIB)

    def _touch(self, outlet: str) -> None:
        self.version += 1
        self._modified[outlet] = max(
            self._newest(outlet), self._modified[outlet] + timedelta(seconds=1)
        )

    # ----- rendering -------------------------------------------------------------------------

    def render(
        self, path: str, *, base_url: str, query: str = "", outlet: str | None = None
    ) -> Page:
        """Render a server path. ``base_url`` is the server root (``http://127.0.0.1:PORT``).

        With ``outlet`` set, the server is that outlet's own host and paths have no prefix.
        """
        if outlet is not None:
            return self._render_outlet(outlet, path, query, base_url)
        root = base_url.rstrip("/")
        if path in ("/", "/index.html"):
            return Page(200, HTML, pages.farm_index(self._all_views(root)))
        if path == "/opml.xml":
            kind = parse_qs(query).get("format", ["rss"])[0]
            if kind not in (*feeds.FEED_PATHS, "all"):
                return Page(404, HTML, pages.not_found_page())
            return Page(200, "text/x-opml; charset=utf-8", feeds.opml(self._all_views(root), kind))
        if path == "/robots.txt":
            return Page(200, "text/plain; charset=utf-8", feeds.robots(self._all_views(root)))
        slug, slash, rest = path[1:].partition("/")
        if slug not in self._outlets:
            return Page(404, HTML, pages.not_found_page())
        if not slash:
            return Page(301, HTML, b"", location=f"/{slug}/")
        return self._render_outlet(slug, "/" + rest, query, f"{root}/{slug}")

    def _all_views(self, root: str) -> list[View]:
        return [self.view(o.slug, f"{root}/{o.slug}") for o in self.outlets]

    def _render_outlet(self, slug: str, path: str, query: str, base_url: str) -> Page:
        view = self.view(slug, base_url)
        if path in FEED_ROUTES:
            render, content_type = FEED_ROUTES[path]
            return Page(200, content_type, render(view), view.modified_at)
        if path.startswith("/sitemap-index-") and path.endswith(".xml"):
            year = path[len("/sitemap-index-") : -len(".xml")]
            if any(m.startswith(year) for m in feeds.months(view)):
                return Page(200, XML, feeds.year_index(view, year), view.modified_at)
        if path.startswith("/sitemap-") and path.endswith(".xml"):
            month = path[len("/sitemap-") : -len(".xml")]
            if month in feeds.months(view):
                return Page(200, XML, feeds.sitemap(view, month), view.modified_at)
        if path == "/robots.txt":
            return Page(200, "text/plain; charset=utf-8", feeds.robots([view]))
        parts = path.strip("/").split("/")
        if path.startswith(("/read/", "/amp/read/")) and len(parts) in (3, 4):
            return self._article(view, parts[-2], parts[-1], amp=parts[0] == "amp")
        page_no = _page_number(query)
        listing = _listing(view, path)
        if listing is not None:
            heading, stories = listing
            body = pages.listing_page(view, stories, page_no, heading=heading, path=path)
            if body is not None:
                return Page(200, HTML, body, view.modified_at)
        elif path.endswith(".html") and "/" not in path[1:]:
            body = pages.static_page(view, path[1:-5])
            if body is not None:
                return Page(200, HTML, body)
        return Page(404, HTML, pages.not_found_page())

    def _article(self, view: View, story_id: str, filename: str, *, amp: bool) -> Page:
        story = view.by_id.get(story_id)
        if story is None:
            gone = (view.outlet.slug, story_id) in self._gone
            status = 410 if gone else 404
            return Page(status, HTML, pages.not_found_page("Berita tidak tersedia"))
        wanted = story.amp_path if amp else story.path
        if filename != f"{story.slug}.html":
            return Page(301, HTML, b"", location=view.href(wanted))
        body = pages.amp_page(view, story) if amp else pages.article_page(view, story)
        return Page(200, HTML, body, story.published_at)


def _page_number(query: str) -> int:
    try:
        return int(parse_qs(query).get("page", ["1"])[0])
    except ValueError:
        return 1


def _listing(view: View, path: str) -> tuple[str, list[Story]] | None:
    if path in ("/", "/index.html", "/indeks/"):
        return "Berita Terkini", list(view.stories)
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not path.endswith("/"):
        return None
    kind, key = parts
    if kind in ("kanal", "tag"):
        stories = [s for s in view.stories if key in {slugify(t) for t in s.tags}]
    elif kind == "penulis":
        stories = [s for s in view.stories if slugify(s.author) == key]
    else:
        return None
    return key.replace("-", " ").title(), stories
