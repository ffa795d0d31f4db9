"""Fact-checked claims and the documents that repeat them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ClaimRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "url": "https://turnbackhoax.id/2026/12/05/salah-video-banjir-batu/",
                    "publisher": "turnbackhoax.id",
                    "claim": "Video banjir bandang di Kota Batu adalah kejadian hari ini",
                    "verdict": "false",
                    "verdict_label": "SALAH",
                    "published_at": "2026-12-05T03:00:00Z",
                    "matches": 3,
                }
            ]
        },
    )

    id: int
    url: str = Field(description="The debunk.")
    publisher: str | None
    title: str
    claim: str = Field(description="What was claimed, without the verdict tag.")
    verdict: str = Field(
        description="Normalised: hoax, false, disinformation, misinformation, misleading, "
        "defamation, manipulated, false_context, satire, unproven, true, ..."
    )
    verdict_label: str = Field(description="As published: HOAKS, SALAH, DISINFORMASI, ...")
    published_at: datetime
    matches: int = Field(default=0, description="Articles and posts found repeating it.")


class ClaimMatchRead(BaseModel):
    article_id: int
    kind: str = Field(description="`article` or `post`.")
    platform: str | None
    url: str
    title: str
    outlet: str | None
    author: str | None
    published_at: datetime
    score: float = Field(description="Similarity of the document to the claim, 0..1.")


class ClaimDetail(ClaimRead):
    documents: list[ClaimMatchRead]


class ClaimPage(BaseModel):
    items: list[ClaimRead]
    next_before_id: int | None = Field(description="Pass as `before_id` for the next page.")


class IssueDebunk(BaseModel):
    claim_id: int
    claim: str
    verdict: str
    verdict_label: str
    url: str
    publisher: str | None
    documents: int = Field(description="Of the issue's documents, how many repeat the claim.")
    score: float
