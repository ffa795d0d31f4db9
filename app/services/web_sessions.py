"""Crisis-room sessions: an API key exchanged once for a cookie, looked up per request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unauthorized
from app.models import ApiKey, WebSession, utcnow
from app.services import api_keys

TOKEN_PREFIX = "pss_"  # noqa: S105  # a prefix that marks session tokens, no secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def sign_in(
    session: AsyncSession, *, secret: str, lifetime: timedelta, now: datetime | None = None
) -> tuple[ApiKey, str, str]:
    """Authenticate `secret` and open a session: (key, cookie token, CSRF token). Expired
    sessions are swept on the way, so the table holds live sessions only."""
    key = await api_keys.authenticate(session, secret=secret.strip())
    now = now or utcnow()
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            key_id=key.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return key, token, csrf


async def resolve(
    session: AsyncSession, *, token: str, now: datetime | None = None
) -> tuple[ApiKey, str]:
    """The active key and CSRF token of a live session; 401 otherwise (expired, signed out,
    or its key revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthorized("not signed in")
    row = (
        await session.execute(
            select(ApiKey, WebSession.csrf)
            .join(WebSession, WebSession.key_id == ApiKey.id)
            .where(
                WebSession.token_hash == _digest(token),
                WebSession.expires_at > (now or utcnow()),
                ApiKey.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise Unauthorized("the session has ended; sign in again")
    return row[0], row[1]


async def sign_out(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
