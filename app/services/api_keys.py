"""API keys: creation, authentication and the first-start admin key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, NotFound, Unauthorized
from app.models import ApiKey, Role, utcnow

KEY_PREFIX = "pnt_"
_LOOKUP_LEN = 12  # characters of the secret stored in clear to find the row


def hash_key(secret: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def create_key(session: AsyncSession, *, role: Role, name: str) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its hash is stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name[:200], role=role, prefix=secret[:_LOOKUP_LEN], key_hash=hash_key(secret))
    session.add(key)
    await session.flush()
    return key, secret


async def authenticate(session: AsyncSession, *, secret: str) -> ApiKey:
    """The active key matching `secret`, compared in constant time."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        raise Unauthorized("malformed API key")
    candidates = (
        await session.scalars(
            select(ApiKey).where(ApiKey.prefix == secret[:_LOOKUP_LEN], ApiKey.revoked_at.is_(None))
        )
    ).all()
    digest = hash_key(secret)
    for key in candidates:
        if hmac.compare_digest(key.key_hash, digest):
            return key
    raise Unauthorized("unknown or revoked API key")


async def count_admin_keys(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.role == Role.ADMIN, ApiKey.revoked_at.is_(None))
    )
    return int(await session.scalar(query) or 0)


async def list_keys(session: AsyncSession, *, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def revoke_key(session: AsyncSession, *, key_id: int) -> ApiKey:
    """Revoke a key (idempotent). Refuses to revoke the last active admin key."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    if key.revoked_at is None:
        if key.role == Role.ADMIN and await count_admin_keys(session) <= 1:
            raise Conflict("this is the last active admin key; create another admin key first")
        key.revoked_at = utcnow()
        await session.flush()
    return key


USE_RESOLUTION = timedelta(minutes=1)


async def record_use(session: AsyncSession, *, key_id: int, now: datetime) -> bool:
    """Set the key's `last_used_at` unless it was set less than a minute ago (by any
    process); True when written."""
    result = await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - USE_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
