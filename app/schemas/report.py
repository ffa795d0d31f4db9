"""The report schedule: response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ReportSlotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="daily or weekly.")
    day: str = Field(description="The last local day the report covers.")
    status: str = Field(description="scheduled (not queued yet), pending, delivered or failed.")
    due_at: datetime | None = Field(default=None, description="When a scheduled one is queued.")
    queued_at: datetime | None = None
    attempts: int = 0
    response_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


class ReportScheduleRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "enabled": True,
                    "receiver_host": "hooks.example.go.id",
                    "tz": "Asia/Jakarta",
                    "hour": 7,
                    "weekday": 0,
                    "weekly": True,
                    "lang": "id",
                    "upcoming": [
                        {
                            "kind": "daily",
                            "day": "2026-12-10",
                            "status": "scheduled",
                            "due_at": "2026-12-11T07:00:00+07:00",
                        }
                    ],
                    "recent": [],
                }
            ]
        },
    )

    enabled: bool = Field(description="Whether PANTAU_REPORT_WEBHOOK_URL is set.")
    receiver_host: str | None = Field(description="The receiver's host (never its path).")
    tz: str
    hour: int | None = Field(description="Local hour the reports go out.")
    weekday: int | None = Field(description="Day of the weekly report, 0 = Monday.")
    weekly: bool
    lang: str | None
    upcoming: list[ReportSlotRead]
    recent: list[ReportSlotRead] = Field(description="Latest report deliveries, newest first.")
