"""Sources: request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StrictBool, computed_field

from app.models.source import SourceKind
from app.schemas.common import PageInfo


class SourceCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://www.antaranews.com/rss/terkini.xml",
                    "name": "ANTARA Terkini",
                    "kind": "feed",
                    "language": "id",
                    "tier": 1,
                },
                {"url": "https://www.tempo.co/sitemap-news.xml", "name": "Tempo (detected)"},
                {
                    "url": "https://www.kompas.com/tag/kpk",
                    "kind": "listing",
                    "selector": "article h3 a",
                },
            ]
        }
    )

    url: AnyHttpUrl = Field(description="Feed, sitemap, listing page or article URL (http/https).")
    kind: SourceKind | None = Field(
        default=None,
        description=(
            "How the URL is read. Omitted: the URL is fetched once and its kind detected (feed, "
            "sitemap or news sitemap, listing page); a URL that is none of these is a 422 saying "
            "what was found and what to try. Give it to register without fetching."
        ),
    )
    name: str | None = Field(default=None, max_length=200, description="Defaults to the host.")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$", description="ISO 639-1.")
    tier: int = Field(default=2, ge=1, le=3, description="Reach: 1 national, 2 major, 3 niche.")
    enabled: StrictBool = True
    poll_interval_override: int | None = Field(
        default=None, ge=60, le=86400, description="Fixed polling interval in seconds."
    )
    selector: str | None = Field(
        default=None, max_length=500, description="CSS selector for article links (listing pages)."
    )


class SourceUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are, null clears an optional one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False}, {"tier": 1}, {"kind": "sitemap"}]},
    )

    kind: SourceKind | None = Field(
        default=None,
        description="Read the URL as another kind; its articles and fetch log are kept and it "
        "is fetched again at the next tick.",
    )
    enabled: StrictBool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tier: int | None = Field(default=None, ge=1, le=3)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    poll_interval_override: int | None = Field(
        default=None, ge=60, le=86400, description="Fixed polling interval; null to adapt."
    )
    selector: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=200)


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    format: str | None = Field(
        default=None,
        description="What the URL serves, as detected or read by the latest good poll: rss20, "
        "atom10, json11, sitemap, news-sitemap, sitemapindex, listing, article.",
    )
    detected: str | None = Field(
        default=None,
        description="When this request detected the kind: what was found, readable.",
    )
    url: str
    name: str
    language: str | None
    tier: int
    enabled: bool
    poll_interval: int = Field(description="Current polling interval in seconds.")
    poll_interval_override: int | None
    next_check_at: datetime
    last_status: str | None = Field(description="ok, not_modified, unchanged or error.")
    last_http_status: int | None
    error_count: int = Field(description="Consecutive failures.")
    last_error: str | None = Field(description="Why the latest failing fetch failed, readable.")
    last_error_at: datetime | None
    last_error_kind: str | None = Field(
        default=None, description="hard (needs a person: 4xx, 410 Gone, bad content) or soft."
    )
    failing_since: datetime | None = Field(
        default=None, description="When the current run of failures began; null when healthy."
    )
    last_success_at: datetime | None
    last_fetched_at: datetime | None
    items_last_24h: int = Field(default=0, description="Articles ingested in the last 24 h.")
    created_at: datetime

    @computed_field(description="False while the source's latest fetches fail.")  # type: ignore[prop-decorator]
    @property
    def healthy(self) -> bool:
        return self.error_count == 0


class SourcePage(BaseModel):
    items: list[SourceRead]
    page: PageInfo


class FetchAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str = Field(description="ok, not_modified, unchanged or error.")
    http_status: int | None
    duration_ms: int | None
    bytes: int | None
    items_seen: int
    new_items: int
    error: str | None
    notes: str | None = Field(
        default=None,
        description="Items of this poll skipped or mended, counted by reason (an unusable URL, "
        "an impossible publish time, items over the per-feed cap).",
        examples=["2 × unusable URL; 1 × publish time outside 1990 .. now + 2 days"],
    )
    worker: str | None


class FetchAttemptPage(BaseModel):
    items: list[FetchAttemptRead]
    page: PageInfo


class SourcePollRead(BaseModel):
    """What "poll now" did."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "source_id": 7,
                    "status": "ok",
                    "http_status": 200,
                    "items_seen": 40,
                    "new_items": 3,
                    "error": None,
                    "next_check_at": "2026-12-06T03:15:00Z",
                }
            ]
        },
    )

    source_id: int
    status: str = Field(description="ok, not_modified, unchanged or error.")
    http_status: int | None
    items_seen: int
    new_items: int = Field(description="Articles stored by this poll; scored at the next tick.")
    error: str | None = Field(description="Why the poll failed, readable; null when it did not.")
    next_check_at: datetime
