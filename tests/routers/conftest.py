"""An HTTP client on the real application, bound to the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Role
from tests.factories import make_key


def make_app(db: Database) -> FastAPI:
    """The application as the `client` fixture serves it (no lifespan: no scheduler)."""
    settings = Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        etag_cache_seconds=0,  # every request sees the database as it is
        api_key_cache_seconds=0,
        rate_limit_per_minute=0,
        # Webhook receivers in these tests listen on loopback (the 422 for private addresses
        # is tested with the guard on: tests/hardening/test_webhook_receivers.py).
        allow_private_networks=True,
    )
    app = create_app(settings, database=db)
    app.state.database = db  # ASGITransport does not run the lifespan
    return app


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
        yield http


async def _key(db: Database, role: Role) -> dict[str, str]:
    async with db.writer.begin() as session:
        _row, secret = await make_key(session, role)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def admin(db: Database) -> dict[str, str]:
    return await _key(db, Role.ADMIN)


@pytest.fixture
async def analyst(db: Database) -> dict[str, str]:
    return await _key(db, Role.ANALYST)


@pytest.fixture
async def viewer(db: Database) -> dict[str, str]:
    return await _key(db, Role.VIEWER)
