"""Dashboard statistics: response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TimelineBucket(BaseModel):
    start: datetime = Field(description="Bucket start in the requested time zone.")
    total: int
    negative: int
    neutral: int
    positive: int
    unscored: int


class Timeline(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "interval": "hour",
                    "tz": "Asia/Jakarta",
                    "since": "2026-11-20T01:00:00Z",
                    "until": "2026-11-20T03:00:00Z",
                    "buckets": [
                        {
                            "start": "2026-11-20T08:00:00+07:00",
                            "total": 12,
                            "negative": 5,
                            "neutral": 6,
                            "positive": 1,
                            "unscored": 0,
                        }
                    ],
                }
            ]
        }
    }

    interval: str
    tz: str
    since: datetime
    until: datetime
    buckets: list[TimelineBucket]


class ShareRow(BaseModel):
    key: str = Field(
        description="The outlet (host), or the watchlist name.", examples=["antaranews.com"]
    )
    count: int
    negative: int
    share: float = Field(description="count / total, 0..1.")


class ShareOfVoice(BaseModel):
    by: str
    since: datetime
    until: datetime
    total: int
    items: list[ShareRow]


class TermCount(BaseModel):
    term: str = Field(examples=["banjir"])
    articles: int


class TopTerms(BaseModel):
    since: datetime
    until: datetime
    articles: int = Field(description="Articles read (the newest 20,000 at most).")
    items: list[TermCount]


class EntityCount(BaseModel):
    name: str = Field(examples=["Polri"])
    mentions: int
    negative: int


class TopEntities(BaseModel):
    since: datetime
    until: datetime
    articles: int
    items: list[EntityCount]
