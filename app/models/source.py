"""A news source. The row is also its schedule: next check, validators, error state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, utcnow


class SourceKind(StrEnum):
    FEED = "feed"  # RSS 0.9x/1.0/2.0, Atom or JSON Feed, told apart by content
    SITEMAP = "sitemap"  # news or plain sitemap, or a sitemap index
    LISTING = "listing"  # an HTML page whose links lead to articles
    ARTICLE = "article"  # one article page
    # Public social sources (crawlers/social.py): their items are documents of kind `post`.
    YOUTUBE = "youtube"  # a channel's uploads: the public Atom feed (yt:, media: namespaces)
    MASTODON = "mastodon"  # account or hashtag: public RSS, or the public timeline JSON API
    BLUESKY = "bluesky"  # profile RSS, or the AppView's app.bsky.feed.searchPosts JSON
    REDDIT = "reddit"  # subreddit or search: public RSS/Atom
    TELEGRAM = "telegram"  # a public channel's web preview, t.me/s/<channel> (HTML)
    # A news search feed (Google News RSS search): articles of the real publishers, each
    # link resolved to the publisher's URL before storage.
    NEWS_SEARCH = "news_search"
    # A fact-check publisher (RSS/Atom or an HTML listing): its items become claims.
    FACTCHECK = "factcheck"


SOCIAL_KINDS = frozenset(
    {
        SourceKind.YOUTUBE,
        SourceKind.MASTODON,
        SourceKind.BLUESKY,
        SourceKind.REDDIT,
        SourceKind.TELEGRAM,
    }
)


class FetchStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    UNCHANGED = "unchanged"  # 200 with the same body hash as last time
    ERROR = "error"


class Source(Base, TimestampMixin):
    __tablename__ = "sources"
    __table_args__ = (Index("ix_sources_due", "enabled", "next_check_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=SourceKind.FEED)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    tier: Mapped[int] = mapped_column(Integer, default=2)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    selector: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(200))
    # What the URL serves, as detected or read by the latest good poll: rss20, news-sitemap...
    format: Mapped[str | None] = mapped_column(String(32))

    poll_interval_override: Mapped[int | None] = mapped_column(Integer)
    poll_interval: Mapped[int] = mapped_column(Integer, default=900)
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))

    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_hash: Mapped[str | None] = mapped_column(String(64))

    last_status: Mapped[str | None] = mapped_column(String(20))
    last_http_status: Mapped[int | None]
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_error_kind: Mapped[str | None] = mapped_column(String(8))  # hard or soft
    failing_since: Mapped[datetime | None]  # first failure of the current run of failures
    last_success_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
