"""Alert rules, webhooks, deliveries, spikes and the daily digest: request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import DbId
from app.schemas.issue import IssueRead

RuleKind = Literal["severity_above", "spike", "new_issue", "hoax_spread"]
SpikeKind = Literal["volume", "negative_share"]
SPIKE_KINDS: tuple[SpikeKind, ...] = ("volume", "negative_share")


class AlertRuleCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Isu berat", "kind": "severity_above", "threshold": 70, "webhook_id": 1},
                {
                    "name": "Lonjakan KPK",
                    "kind": "spike",
                    "watchlist_id": 2,
                    "spike_kinds": ["negative_share"],
                    "webhook_id": 1,
                },
                {
                    "name": "Hoaks banjir menyebar lagi",
                    "kind": "hoax_spread",
                    "threshold": 3,
                    "watchlist_id": 2,
                    "webhook_id": 1,
                },
            ]
        }
    )

    name: str = Field(default="", max_length=200)
    kind: RuleKind = Field(
        description="severity_above (needs threshold; watchlist_id optional), spike (needs "
        "watchlist_id), new_issue (needs watchlist_id), hoax_spread (needs threshold: how many "
        "articles and posts repeating a debunked claim since its debunk, within 7 days, alert; "
        "with a watchlist_id only those the watchlist matched count)."
    )
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="severity_above: the severity (0..100); hoax_spread: the documents (1+).",
    )
    watchlist_id: DbId | None = None
    spike_kinds: list[SpikeKind] = Field(default_factory=lambda: list(SPIKE_KINDS))
    webhook_id: DbId
    cooldown_minutes: int = Field(
        default=24 * 60,
        ge=0,
        le=30 * 24 * 60,
        description="One issue or watchlist alerts once per rule and reason within this time.",
    )
    active: bool = True


class AlertRuleUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    kind: RuleKind | None = None
    threshold: float | None = Field(default=None, ge=0, le=100)
    watchlist_id: DbId | None = None
    spike_kinds: list[SpikeKind] | None = None
    webhook_id: DbId | None = None
    cooldown_minutes: int | None = Field(default=None, ge=0, le=30 * 24 * 60)
    active: bool | None = None


class AlertRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    threshold: float | None
    watchlist_id: int | None
    spike_kinds: list[str]
    webhook_id: int
    cooldown_minutes: int
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class AlertRuleList(BaseModel):
    items: list[AlertRuleRead]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Tim krisis",
                    "url": "https://hooks.example.id/pantau",
                    "format": "generic",
                }
            ]
        }
    )

    name: str = Field(default="", max_length=200)
    url: str = Field(min_length=8, max_length=2000, description="http(s); public addresses only.")
    format: Literal["generic", "slack"] = Field(
        default="generic", description="generic JSON, or a Slack incoming-webhook body."
    )
    active: bool = True


class WebhookUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    format: Literal["generic", "slack"] | None = None
    active: bool | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    format: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="HMAC-SHA256 key of the `X-Pantau-Signature` header "
        "(`t=<unix>,v1=<hex of HMAC(secret, f'{t}.{body}')>`). Shown only now."
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "webhook_id": 1,
                    "rule_id": 3,
                    "idempotency_key": "9f2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e",
                    "subject": "issue:42",
                    "reason": "new-issue",
                    "status": "delivered",
                    "attempts": 1,
                    "next_attempt_at": "2026-11-23T02:00:00Z",
                    "response_code": 200,
                    "last_error": None,
                    "delivered_at": "2026-11-23T02:00:01Z",
                    "created_at": "2026-11-23T02:00:00Z",
                    "payload": {
                        "type": "pantau.alert",
                        "id": "9f2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e",
                        "rule_id": 3,
                        "subject": "issue:42",
                        "reason": "new-issue",
                        "message": "New issue 'KPK Tetapkan Tersangka Baru'",
                        "at": "2026-11-23T02:00:00+00:00",
                        "window": {
                            "start": "2026-11-23T01:00:00+00:00",
                            "end": "2026-11-23T02:00:00+00:00",
                        },
                        "title": "KPK Tetapkan Tersangka Baru",
                        "link": "https://pantau.example.go.id/v1/issues/42",
                        "severity": 64.0,
                        "severity_breakdown": {
                            "components": {"negativity": 30.0, "volume": 14.0, "priority": 20.0}
                        },
                        "watchlists": ["KPK"],
                        "top_articles": [
                            {
                                "title": "KPK Tetapkan Tersangka Baru Kasus Suap",
                                "url": "https://www.antaranews.com/berita/1",
                                "outlet": "Antara",
                                "published_at": "2026-11-23T01:40:00+00:00",
                                "label": "negative",
                            }
                        ],
                        "failing_sources": [],
                    },
                    "log": [{"at": "2026-11-23T02:00:01Z", "status": 200, "error": None}],
                }
            ]
        },
    )

    id: int
    webhook_id: int
    rule_id: int | None
    idempotency_key: str = Field(description="Sent as `Idempotency-Key`; equal on retries.")
    subject: str
    reason: str
    status: str = Field(description="pending (retrying), delivered or failed.")
    attempts: int
    next_attempt_at: datetime
    response_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
    log: list[dict[str, Any]] = Field(description="Every attempt: time, HTTP status, error.")


class DeliveryList(BaseModel):
    items: list[DeliveryRead]


class SpikeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_kind: str
    subject_id: int
    kind: str
    granularity: str
    bucket_start: datetime
    value: float
    baseline_mean: float
    baseline_std: float
    z: float
    reason: str
    detected_at: datetime


class SpikeList(BaseModel):
    items: list[SpikeRead]


class FailingSourceRead(BaseModel):
    name: str
    url: str
    reason: str
    since: datetime
    until: datetime | None


class DigestRead(BaseModel):
    date: date
    tz: str
    start: datetime
    end: datetime
    top_issues: list[IssueRead] = Field(description="Active that day, by severity.")
    new_issues: list[IssueRead] = Field(description="First seen that day, by severity.")
    new_issue_count: int
    spikes: list[SpikeRead]
    failing_sources: list[FailingSourceRead] = Field(
        description="Sources failing at some point of the day: coverage may be incomplete."
    )
