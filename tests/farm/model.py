"""Value types shared by the farm's renderers: stories, per-outlet settings and render views."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from tests.farm.corpus import Article, Outlet, stable_int

AUTHORS = (
    "Dian Rahmawati", "Agus Santoso", "Rizky Pratama", "Siti Nurhaliza", "Bayu Wicaksono",
    "Fitri Handayani", "Hendra Gunawan", "Nurul Aini", "Yoga Permana", "Ratna Sari",
    "Irfan Maulana", "Dewi Lestari", "Fajar Nugroho", "Putri Ayuningtyas", "Teguh Firmansyah",
    "Wulan Anggraini",
)  # fmt: skip
"""Invented bylines (the dataset has none); chosen per story by a stable hash."""

TRACKING_QUERY = "utm_source=rss&utm_medium=feed&utm_campaign=farm"


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII URL slug of a title, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "berita"


@dataclass(frozen=True, slots=True)
class Story:
    """An article as one outlet publishes it (an original, or a syndicated copy).

    ``id`` appears in URLs; for originals it is the dataset id, for copies
    ``<source id>-<outlet slug>``. ``guid_rev`` counts GUID churn: the GUID changes, the link not.
    """

    id: str
    outlet: str
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime
    category: str
    author: str
    source_id: str
    guid_rev: int = 0

    @classmethod
    def from_article(cls, article: Article) -> Story:
        """The original publication of a dataset article by its own outlet."""
        return cls(
            id=article.id,
            outlet=article.outlet_slug,
            title=article.title,
            paragraphs=article.paragraphs,
            published_at=article.published_at,
            category=article.category,
            author=AUTHORS[stable_int("author", article.id) % len(AUTHORS)],
            source_id=article.id,
        )

    @property
    def slug(self) -> str:
        """URL slug derived from the title."""
        return slugify(self.title)

    @property
    def path(self) -> str:
        """Path of the article page relative to the outlet root."""
        return f"/read/{self.id}/{self.slug}.html"

    @property
    def amp_path(self) -> str:
        """Path of the AMP variant relative to the outlet root."""
        return f"/amp{self.path}"

    @property
    def guid(self) -> str:
        """Opaque GUID (RSS ``guid isPermaLink="false"``, Atom/JSON id); changes on churn."""
        suffix = f"-r{self.guid_rev}" if self.guid_rev else ""
        return f"{self.outlet}-{self.id}{suffix}"

    @property
    def summary(self) -> str:
        """The first paragraph: what feeds put in ``description``."""
        return self.paragraphs[0] if self.paragraphs else ""

    @property
    def body(self) -> str:
        """Paragraphs joined by blank lines, the dataset's format."""
        return "\n\n".join(self.paragraphs)

    @property
    def section(self) -> str:
        """Top-level section name, e.g. ``"News"`` for ``"News/Nasional"``."""
        return self.category.split("/")[0].strip() or "Berita"

    @property
    def tags(self) -> tuple[str, ...]:
        """Category parts as tags."""
        return tuple(p.strip() for p in self.category.split("/") if p.strip())


@dataclass(frozen=True, slots=True)
class OutletConfig:
    """How one outlet's site behaves. Change with :meth:`Site.configure`.

    ``feed_size`` items per feed (newest first); ``full_content`` adds the full body to feeds
    (RSS ``content:encoded``, Atom ``content``, JSON ``content_html``); ``ttl`` is the RSS
    ``<ttl>`` in minutes; ``tracking_params`` appends ``?utm_...`` to feed item links;
    ``robots_disallow`` paths (relative to the outlet root) appear in robots.txt.
    """

    feed_size: int = 50
    full_content: bool = False
    ttl: int = 15
    tracking_params: bool = False
    page_size: int = 20
    news_sitemap_size: int = 100
    robots_disallow: tuple[str, ...] = ("/cari/",)


@dataclass(frozen=True, slots=True)
class View:
    """Everything a renderer needs about one outlet at one moment (an immutable snapshot)."""

    outlet: Outlet
    base_url: str
    stories: tuple[Story, ...]
    config: OutletConfig
    modified_at: datetime
    by_id: dict[str, Story] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """Path of the outlet root on the server ('' when the outlet has its own port)."""
        return urlsplit(self.base_url).path.rstrip("/")

    def url(self, path: str) -> str:
        """Absolute URL of an outlet-relative path."""
        return self.base_url.rstrip("/") + path

    def href(self, path: str) -> str:
        """Root-relative href of an outlet-relative path, as sites write internal links."""
        return self.base_path + path

    def item_link(self, story: Story) -> str:
        """The link a feed gives for a story (with tracking parameters when configured)."""
        link = self.url(story.path)
        return f"{link}?{TRACKING_QUERY}" if self.config.tracking_params else link

    @property
    def feed_stories(self) -> tuple[Story, ...]:
        """The newest ``feed_size`` stories."""
        return self.stories[: self.config.feed_size]
