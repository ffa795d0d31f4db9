"""Issues: request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import DismissReason, IssueStatus
from app.schemas.article import ArticleRead
from app.schemas.claim import IssueDebunk
from app.schemas.common import DbId, PageInfo, Tombstone


class SeverityBreakdown(BaseModel):
    components: dict[str, float] = Field(
        description="Points per component (negativity, volume, velocity, reach, priority); "
        "they sum to the severity."
    )
    explanation: str
    priority: int = Field(description="The highest priority of the watchlists hit (1 if none).")
    watched_entities: list[str] = Field(description="Entities whose tone counted.")
    outlets_by_tier: dict[str, int] = Field(description="Distinct outlets per source tier.")


class IssueStoryRead(BaseModel):
    """A story group among the issue's articles: one story syndicated across outlets."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 311,
                    "title": "KPK Tetapkan Tersangka Baru Kasus Suap",
                    "in_issue": 4,
                    "copies": 5,
                    "outlets": 4,
                    "first_outlet": "Antara",
                    "first_published_at": "2026-11-20T01:05:00Z",
                }
            ]
        },
    )

    id: int
    title: str
    in_issue: int = Field(description="This issue's articles that are copies of the story.")
    copies: int = Field(description="Every stored copy of the story.")
    outlets: int = Field(description="Distinct outlets that carried it.")
    first_outlet: str | None = Field(description="Who published it first (source name).")
    first_published_at: datetime


class IssueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str = Field(description="Generated: the member headline closest to the issue's centre.")
    status: str
    severity: float = Field(ge=0, le=100, description="0 (ignore) to 100 (act now).")
    article_count: int
    negative_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    updated_at: datetime
    top_terms: list[str] = Field(default_factory=list, description="Heaviest centroid terms.")
    watchlist_ids: list[int] = Field(default_factory=list, description="Watchlists hit.")
    outlets: list[str] = Field(default_factory=list)
    negative_share: float = Field(default=0.0, description="Share of negative articles (0..1).")
    velocity: float = Field(
        default=0.0, description="Articles per hour in the 6 hours up to the latest article."
    )
    velocity_ratio: float = Field(
        default=0.0, description="That rate over the rate of the 24 hours before it."
    )
    reach: float = Field(default=0.0, description="0..1 from the tiers of the outlets.")
    severity_breakdown: SeverityBreakdown | None = None
    assignee: str | None = None
    notes: str | None = None
    dismissed_reason: str | None = None
    merged_into_id: int | None = Field(
        default=None, description="Set when the issue was merged into another one."
    )
    survivor_id: int | None = Field(
        default=None,
        description="On a merged issue (single-issue reads): the live issue it ended up in, "
        "after merges of merges. Its events and comments are shown there.",
    )
    story_count: int = Field(
        default=0,
        description="Distinct stories among the articles (syndicated copies count once).",
    )
    stories: list[IssueStoryRead] = Field(
        default_factory=list, description="The largest stories (up to 10), most copies first."
    )


class IssueComment(BaseModel):
    """An analyst's comment: on its own (action `comment`) or with the change it explains."""

    model_config = ConfigDict(from_attributes=True)

    event_id: int = Field(validation_alias="id", description="The audit event carrying it.")
    issue_id: int = Field(description="The issue it was made on (a merged one's, once merged).")
    at: datetime
    actor: str
    action: str = Field(description="`comment`, or the change it came with (status, ...).")
    text: str = Field(validation_alias="reason")


class IssueArticleRead(ArticleRead):
    """An issue's article with its per-entity tone (what the crisis room highlights)."""

    targets: list[dict[str, Any]] | None = Field(
        default=None,
        description="Per watched entity: name, label, negativity, mentions, `evidence` "
        "sentences and `phrases` that drove the label.",
    )


class IssueDetail(IssueRead):
    articles: list[IssueArticleRead]
    comments: list[IssueComment] = Field(
        default_factory=list, description="Analysts' comments, oldest first."
    )
    debunks: list[IssueDebunk] = Field(
        default_factory=list,
        description="Fact-checked claims (debunked) that the issue's articles and posts "
        "repeat, best match first.",
    )


class IssuePage(BaseModel):
    items: list[IssueRead | Tombstone] = Field(
        description="Issues; in `changed_after` mode also tombstones for deleted/merged ones."
    )
    page: PageInfo


class IssueUpdate(BaseModel):
    """Triage: any subset of the fields; each change is recorded in the audit trail.

    A `comment` alone is recorded as a `comment` event; a request that changes nothing and
    has no comment is a 422."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "escalated", "assignee": "rina", "comment": "Menteri dikutip"},
                {"status": "dismissed", "dismissed_reason": "false_positive"},
                {"comment": "Humas sudah dihubungi, tunggu klarifikasi"},
            ]
        }
    )

    status: IssueStatus | None = Field(
        default=None,
        description="new → monitoring → escalated → resolved, or dismissed; see the 409 rules.",
    )
    dismissed_reason: DismissReason | None = Field(
        default=None, description="Required when dismissing."
    )
    assignee: str | None = Field(default=None, max_length=200, description="Empty string clears.")
    notes: str | None = Field(default=None, max_length=20_000)
    comment: str | None = Field(
        default=None,
        max_length=2000,
        description="Why, stored with the change's events; alone, an event of its own.",
    )


class IssueMerge(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"into": 12}]})

    into: DbId = Field(description="The issue that absorbs this one.")
    comment: str | None = Field(default=None, max_length=2000)


class IssueSplit(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"article_ids": [101, 102]}]})

    article_ids: list[DbId] = Field(min_length=1, max_length=1000)
    comment: str | None = Field(default=None, max_length=2000)


class IssueEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    issue_id: int
    at: datetime
    actor: str = Field(description="The API key's name, or `system`.")
    action: (
        Literal[
            "created",
            "status",
            "assignee",
            "notes",
            "merged",
            "merged_from",
            "split",
            "split_from",
            "reopened",
            "comment",
        ]
        | str
    )
    from_value: str | None
    to_value: str | None
    reason: str | None
    details: dict[str, Any] | None


class IssueEventList(BaseModel):
    items: list[IssueEventRead] = Field(
        description="Oldest first, with the events of the issues merged into this one "
        "(`issue_id` tells where each was made)."
    )
    survivor_id: int | None = Field(
        default=None,
        description="On a merged issue: the live issue that holds its history from now on.",
    )
