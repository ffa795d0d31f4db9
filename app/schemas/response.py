"""The response loop: request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.models import ResponseKind


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "press_release", "url": "https://kemenkes.go.id/siaran-pers/123"},
                {"kind": "hak_jawab", "outlet": "Tempo", "note": "Dikirim ke redaksi"},
                {
                    "kind": "hak_jawab",
                    "outlet": "Kompas",
                    "published": True,
                    "published_at": "2026-12-10T08:00:00+07:00",
                },
            ]
        },
    )

    kind: ResponseKind = Field(
        description="statement (official statement), press_release, hak_jawab (right of reply "
        "sent to an outlet: name the outlet), clarification (a clarification post)."
    )
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    outlet: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    responded_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    published: bool | None = Field(
        default=None, description="For a right of reply: whether the outlet published it."
    )
    published_at: AwareDatetime | None = None


class ResponseUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"published": True, "published_at": "2026-12-11T09:00:00Z"}]
        },
    )

    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    outlet: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    published: bool | None = None
    published_at: AwareDatetime | None = None


class ResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    issue_id: int
    kind: str
    url: str | None
    outlet: str | None
    note: str | None
    responded_at: datetime
    published: bool | None
    published_at: datetime | None
    actor: str = Field(description="The API key's name that recorded it.")
    created_at: datetime


class ResponseList(BaseModel):
    items: list[ResponseRead]


class CoverageRead(BaseModel):
    articles: int
    articles_per_day: float
    negative_share: float = Field(description="Share of negative articles (0..1).")


class ResponseMetrics(BaseModel):
    """How fast the team saw, alerted, triaged and answered, and what the answer changed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "issue_id": 7,
                    "first_published_at": "2026-12-10T00:10:00Z",
                    "detected_at": "2026-12-10T00:25:00Z",
                    "first_alert_at": "2026-12-10T00:26:00Z",
                    "first_triage_at": "2026-12-10T01:00:00Z",
                    "first_response_at": "2026-12-10T04:00:00Z",
                    "time_to_detect_seconds": 900,
                    "time_to_alert_seconds": 960,
                    "time_to_triage_seconds": 3000,
                    "time_to_respond_seconds": 13800,
                    "before": {"articles": 12, "articles_per_day": 24.0, "negative_share": 0.6},
                    "after": {"articles": 4, "articles_per_day": 8.0, "negative_share": 0.25},
                }
            ]
        }
    )

    issue_id: int
    first_published_at: datetime | None = Field(description="The issue's earliest article.")
    detected_at: datetime = Field(description="When the issue was opened.")
    first_alert_at: datetime | None
    first_triage_at: datetime | None
    first_response_at: datetime | None
    time_to_detect_seconds: float | None = Field(description="First article -> issue opened.")
    time_to_alert_seconds: float | None = Field(description="First article -> first alert.")
    time_to_triage_seconds: float | None = Field(description="First article -> first triage.")
    time_to_respond_seconds: float | None = Field(description="First article -> first response.")
    before: CoverageRead | None = Field(
        description="Coverage in the window before the first response (up to 72 h)."
    )
    after: CoverageRead | None = Field(description="The same-length window after it.")


class WeekRead(BaseModel):
    week_start: datetime = Field(description="Monday 00:00 in `tz`.")
    issues: int
    responses: int = Field(description="Issues of that week that got a response.")
    median_time_to_detect_seconds: float | None
    median_time_to_respond_seconds: float | None


class ResponseStats(BaseModel):
    since: datetime
    until: datetime
    tz: str
    issues: int
    responded: int
    median_time_to_detect_seconds: float | None
    median_time_to_respond_seconds: float | None
    weeks: list[WeekRead]


class IssueVolume(BaseModel):
    issue_id: int
    counts: list[int] = Field(description="Articles per local day, oldest first.")


class IssueVolumeList(BaseModel):
    days: int
    tz: str
    items: list[IssueVolume]
