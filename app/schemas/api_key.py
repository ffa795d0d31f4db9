"""API keys: request and response models (secrets appear only once, at creation)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import Role


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "dashboard wall screen", "role": "viewer"}]}
    )

    name: str = Field(min_length=1, max_length=200, description="Who or what uses the key.")
    role: Role = Field(description="viewer (read), analyst (triage, labels), admin (all).")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself. Shown only in this response: store it now.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyRead]
