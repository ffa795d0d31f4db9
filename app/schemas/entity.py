"""Watched entities: request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

# Each alias is bounded like the name (it was not: a 200 KB alias was stored and matched).
Alias = Annotated[str, Field(max_length=200)]  # blank ones are dropped, not refused


class EntityCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Pemprov DKI",
                    "aliases": ["Pemerintah Provinsi DKI Jakarta", "Pemprov DKI Jakarta"],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200, description="Display name; matched too.")
    aliases: list[Alias] = Field(
        default_factory=list,
        max_length=50,
        description="Other spellings, matched case-insensitively on word boundaries.",
    )
    active: StrictBool = Field(default=True, description="Inactive entities are not scored.")


class EntityUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    aliases: list[Alias] | None = Field(default=None, max_length=50)
    active: StrictBool | None = None


class EntityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    aliases: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class EntityList(BaseModel):
    items: list[EntityRead]
