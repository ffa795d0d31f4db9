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


class EntityJobRead(BaseModel):
    """A background re-scan of the stored articles for a new or edited entity."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "entity_id": 9,
                    "state": "running",
                    "total": 5200,
                    "done": 1800,
                    "mentioned": 31,
                    "error": None,
                    "created_at": "2026-11-23T02:00:00Z",
                    "updated_at": "2026-11-23T02:00:04Z",
                    "finished_at": None,
                }
            ]
        },
    )

    id: int
    entity_id: int
    state: str = Field(description="pending, running, done, cancelled (superseded) or failed.")
    total: int = Field(description="Scored articles stored when the job started (an estimate).")
    done: int = Field(description="Articles re-scanned so far.")
    mentioned: int = Field(description="Re-scanned articles that mention the entity.")
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class EntityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    aliases: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime
    rescan: EntityJobRead | None = Field(
        default=None,
        description="On create and edit: the re-scan of stored articles the change started "
        "(progress at `GET /v1/entities/{id}/rescan`).",
    )


class EntityList(BaseModel):
    items: list[EntityRead]
