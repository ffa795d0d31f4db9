"""Analyst labels: request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LabelValue = Literal["negative", "neutral", "positive"]


class EntityLabel(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="A watched entity's name.")
    label: LabelValue


class LabelCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "label": "negative",
                    "targets": [{"name": "Pemprov DKI", "label": "negative"}],
                    "note": "banjir coverage blames the province",
                }
            ]
        }
    )

    label: LabelValue = Field(description="The article's label; wins over the model's.")
    targets: list[EntityLabel] = Field(
        default_factory=list, max_length=50, description="Optional per-entity labels."
    )
    note: str | None = Field(default=None, max_length=2000)


class LabelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    article_id: int
    label: str
    targets: list[EntityLabel] | None
    note: str | None
    api_key_id: int | None = Field(description="The key that labelled (null once deleted).")
    api_key_name: str
    created_at: datetime


class LabelHistory(BaseModel):
    article_id: int
    label: str | None = Field(description="The effective label (the newest analyst label wins).")
    negativity: float | None
    label_source: str | None = Field(description="model or analyst.")
    model_label: str | None = Field(description="What the model says, overridden or not.")
    model_negativity: float | None
    model_version: str | None
    items: list[LabelRead] = Field(description="Analyst labels, newest first.")
