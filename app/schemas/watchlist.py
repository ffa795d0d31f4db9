"""Watchlists: request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import DbId

QUERY_HELP = (
    "Boolean query over title and text: AND (or juxtaposition), OR, NOT or -word, parentheses, "
    '"quoted phrases", prefix* wildcards, fields title:, text:, source:, and entity:NAME '
    "(a watched entity with all its aliases), and `a NEAR/n b`: both within n words of each "
    "other in one field, either order (n from 1 to 100; each side a term, phrase, prefix, "
    "entity: or an (x OR y) group). Operators are upper-case (NEAR/n in any case); a bad one "
    "answers 422 with its `position`."
)


class WatchlistCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "KPK dan korupsi",
                    "query": 'entity:KPK OR (korup* AND "operasi tangkap tangan") -gosip',
                    "priority": 4,
                    "entity_ids": [1],
                },
                {"name": "KPK memeriksa", "query": "entity:KPK NEAR/5 (periksa* OR memeriksa)"},
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(default="", max_length=2000, description=QUERY_HELP)
    priority: int = Field(default=3, ge=1, le=5, description="1 (low) to 5 (critical).")
    entity_ids: list[DbId] = Field(
        default_factory=list,
        max_length=50,
        description="Watched entities whose tone counts toward severity; with an empty query "
        "the watchlist matches any of them.",
    )
    active: bool = True


class WatchlistUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    query: str | None = Field(default=None, max_length=2000, description=QUERY_HELP)
    priority: int | None = Field(default=None, ge=1, le=5)
    entity_ids: list[DbId] | None = Field(default=None, max_length=50)
    active: bool | None = None


class RematchRead(BaseModel):
    """A background re-match of stored articles (after a create or an edit)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    watchlist_id: int
    state: str = Field(description="pending, running, done, cancelled (superseded) or failed.")
    total: int = Field(description="Articles stored when the job started (an estimate).")
    done: int
    matched: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class WatchlistRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    query: str
    priority: int
    entity_ids: list[int]
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class WatchlistWithJob(WatchlistRead):
    rematch: RematchRead | None = Field(
        default=None, description="The re-match this change started, if any."
    )


class WatchlistList(BaseModel):
    items: list[WatchlistRead]


class QueryTest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"query": 'entity:KPK -"bela sungkawa"', "limit": 20}]}
    )

    query: str = Field(default="", max_length=2000, description=QUERY_HELP)
    entity_ids: list[DbId] = Field(default_factory=list, max_length=50)
    limit: int = Field(default=20, ge=1, le=200, description="Hits returned.")
    scan: int = Field(default=2000, ge=1, le=5000, description="Newest articles scanned.")


class TermHitRead(BaseModel):
    term: str
    negated: bool
    matched: bool


class QueryTestHit(BaseModel):
    id: int
    title: str
    url: str
    outlet: str | None
    published_at: datetime
    label: str | None
    matched_terms: list[str] = Field(description="Positive terms found: what to highlight.")
    terms: list[TermHitRead] = Field(description="Every term and whether it occurred.")


class QueryTestResult(BaseModel):
    query: str
    terms: list[str] = Field(description="The positive terms of the parsed query.")
    scanned: int
    matched: int = Field(description="Hits among the scanned articles.")
    items: list[QueryTestHit]


SearchPlatform = Literal["google_news", "reddit", "bluesky"]
SEARCH_PLATFORMS: tuple[SearchPlatform, ...] = ("google_news", "reddit", "bluesky")


class SearchSourcesUpdate(BaseModel):
    """The search sources a watchlist should have: one per platform and watched entity."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"platforms": ["google_news", "reddit", "bluesky"]},
                {"platforms": ["google_news"], "terms": ["banjir Kota Batu", "BPBD Batu"]},
                {"platforms": []},
            ]
        }
    )

    platforms: list[SearchPlatform] = Field(
        default_factory=lambda: list(SEARCH_PLATFORMS),
        max_length=3,
        description="google_news (Google News RSS search, Indonesian edition: the publishers' "
        "articles), reddit (search RSS: posts), bluesky (public post search: posts). An empty "
        "list removes the watchlist's search sources.",
    )
    terms: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        max_length=20,
        description="What to search, one source per term and platform. Default: each active "
        'watched entity of the watchlist, its name and aliases OR\'ed (`"Kota Batu" OR Bumiaji`).',
    )


class SearchSourceRead(BaseModel):
    source_id: int
    platform: str
    terms: str = Field(description="The search query the source sends.")
    kind: str = Field(description="news_search (articles), reddit or bluesky (posts).")
    url: str
    name: str
    enabled: bool
    last_status: str | None
    last_error: str | None
    failing_since: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime


class SearchSourceList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "source_id": 41,
                            "platform": "google_news",
                            "terms": '"Kota Batu" OR Bumiaji',
                            "kind": "news_search",
                            "url": "https://news.google.com/rss/search?ceid=ID%3Aid&gl=ID&hl=id"
                            "&q=%22Kota+Batu%22+OR+Bumiaji",
                            "name": 'Google News: "Kota Batu" OR Bumiaji',
                            "enabled": True,
                            "last_status": "ok",
                            "last_error": None,
                            "failing_since": None,
                            "last_success_at": "2026-12-12T02:15:00Z",
                            "next_check_at": "2026-12-12T02:30:00Z",
                        }
                    ]
                }
            ]
        }
    )

    items: list[SearchSourceRead]
