"""API keys: create (secret shown once), list (no secrets), revoke. Admin only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.db import SessionDep
from app.routers.deps import ERROR_RESPONSES, JSON, Admin, KeyCache
from app.routers.params import PathId
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from app.services import api_keys as service

router = APIRouter(
    prefix="/v1/keys", tags=["keys"], dependencies=[Admin, JSON], responses=ERROR_RESPONSES
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    responses={201: {"description": "The new key; `secret` is never shown again"}},
)
async def create_key(body: ApiKeyCreate, session: SessionDep) -> ApiKeyCreated:
    """Create a key with a role; the response is the only place the secret appears."""
    key, secret = await service.create_key(session, role=body.role, name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), secret=secret)


@router.get("", summary="List API keys (without secrets)")
async def list_keys(
    session: SessionDep,
    include_revoked: Annotated[bool, Query(description="Also list revoked keys.")] = False,
) -> ApiKeyList:
    """Keys with their role, prefix and state; secrets are never stored, so never shown."""
    keys = await service.list_keys(session, include_revoked=include_revoked)
    return ApiKeyList(items=[ApiKeyRead.model_validate(k) for k in keys])


@router.delete(
    "/{key_id}",
    summary="Revoke an API key",
    responses={409: {"description": "The last active admin key cannot be revoked"}},
)
async def revoke_key(key_id: PathId, request: Request, session: SessionDep) -> ApiKeyRead:
    """Revoke a key. This process forgets it at once; other workers within
    `PANTAU_API_KEY_CACHE_SECONDS`."""
    key = await service.revoke_key(session, key_id=key_id)
    cache: KeyCache = request.app.state.key_cache
    cache.forget(key.id)
    return ApiKeyRead.model_validate(key)
