"""Shapes shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1  # ids are 32-bit integers on both backends
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id as a request field: anything past the column range is a 422, never a 500."""


class Problem(BaseModel):
    """An error, as application/problem+json."""

    type: str = Field(examples=["https://pantau.id/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["article 42 does not exist"])
    instance: str | None = Field(default=None, examples=["/v1/articles/42"])


class PageInfo(BaseModel):
    next_cursor: str | None = Field(
        default=None,
        description=(
            "Opaque cursor for the next page; absent on the last page. In `changed_after` mode "
            "it is always present: the position to resume syncing from."
        ),
    )
    next: str | None = Field(default=None, description="Ready-made URL of the next page.")
    has_more: bool | None = Field(
        default=None,
        description="`changed_after` mode only: more changes are waiting; fetch `next` now.",
    )
    pending: bool | None = Field(
        default=None,
        description=(
            "`changed_after` mode only: changes have committed that are held back until older "
            "transactions finish (so none is ever skipped); poll `next` again in a moment."
        ),
    )


class Tombstone(BaseModel):
    """In `changed_after` mode: an entity that was deleted, or merged into another."""

    model_config = {
        "json_schema_extra": {"examples": [{"id": 7, "deleted": True, "merged_into": 3}]}
    }

    id: int
    deleted: Literal[True] = True
    merged_into: int | None = Field(
        default=None, description="Set when the entity was merged into this one."
    )
