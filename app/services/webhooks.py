"""Webhooks: CRUD (the secret is generated here and shown once) and delivery of the outbox.

Delivery claims due rows (``status = pending``, ``next_attempt_at <= now``) by pushing their
``next_attempt_at`` a lease ahead, so concurrent workers never send one row twice at once; sends
outside any transaction; then records the attempt. Requests go through the crawler's
address guard (``GuardedTransport``): a webhook pointing at a private address fails unless
``allow_private_networks`` is set, exactly as a source would.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.fetch import parse_retry_after
from app.crawlers.netguard import is_public_address, parse_address, resolved_addresses
from app.db import Database, skip_locked
from app.errors import InvalidInput, NotFound
from app.feed.alerts import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    encode_body,
    retry_delay,
    should_retry,
    sign,
)
from app.models import DeliveryStatus, Webhook, WebhookDelivery, utcnow
from app.services.feed_config import FeedConfig

if TYPE_CHECKING:  # httpx is imported when a delivery is due (`build_client`)
    import httpx

logger = logging.getLogger(__name__)
FORMATS = ("generic", "slack")
# The scheduled report's receiver (app.services.report_jobs): a row the settings own, so it is
# neither listed nor editable here, and no alert rule may point at it.
REPORT_FORMAT = "report"
USER_AGENT = "PantauWebhook/1 (+https://pantau.id/bot)"


MAX_RESPONSE_BYTES = 4096  # of a receiver's answer: read for the log, never more
DELIVERY_CONCURRENCY = 8  # receivers sent to at once: a slow one holds one slot, not the tick
RESOLVE_TIMEOUT = 3.0


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        raise InvalidInput("a webhook URL must be an absolute http(s) URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput("a webhook URL must be an absolute http(s) URL")
    return url.strip()


async def check_webhook_url(url: str, *, allow_private_networks: bool) -> str:
    """The URL, if the crawler's address guard would let a delivery reach it (else 422).

    An IP literal, or every address the host name resolves to now, must be public; a name
    that does not resolve yet is accepted (each delivery is guarded again when it connects).
    """
    url = _check_url(url)
    if allow_private_networks:
        return url
    host = urlsplit(url).hostname or ""
    try:
        addresses = [str(parse_address(host))]
    except ValueError:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (OSError, TimeoutError, UnicodeError):
            return url
        addresses = resolved_addresses(infos)
    for address in addresses:
        if not is_public_address(parse_address(address)):
            raise InvalidInput(
                f"webhook host {host} is (or resolves to) the non-public address {address}; "
                "deliveries there are refused (PANTAU_ALLOW_PRIVATE_NETWORKS allows them)"
            )
    return url


@dataclass(frozen=True, slots=True)
class WebhookData:
    name: str | None = None
    url: str | None = None
    format: str | None = None
    active: bool | None = None


async def create_webhook(
    session: AsyncSession, *, data: WebhookData, actor: str, allow_private_networks: bool = False
) -> Webhook:
    """Create a webhook with a fresh signing secret (the caller shows it once)."""
    if data.format is not None and data.format not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
    url = await check_webhook_url(data.url or "", allow_private_networks=allow_private_networks)
    webhook = Webhook(
        name=" ".join((data.name or "").split()) or "webhook",
        url=url,
        secret="whsec_" + secrets.token_urlsafe(32),
        format=data.format or "generic",
        active=True if data.active is None else data.active,
        created_by=actor,
    )
    session.add(webhook)
    await session.flush()
    return webhook


async def get_webhook(session: AsyncSession, *, webhook_id: int) -> Webhook:
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None or webhook.format == REPORT_FORMAT:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return webhook


async def list_webhooks(session: AsyncSession) -> Sequence[Webhook]:
    query = select(Webhook).where(Webhook.format != REPORT_FORMAT).order_by(Webhook.id)
    return (await session.scalars(query)).all()


async def update_webhook(
    session: AsyncSession,
    *,
    webhook_id: int,
    data: WebhookData,
    allow_private_networks: bool = False,
) -> Webhook:
    webhook = await get_webhook(session, webhook_id=webhook_id)
    if data.name is not None:
        webhook.name = " ".join(data.name.split()) or webhook.name
    if data.url is not None:
        webhook.url = await check_webhook_url(
            data.url, allow_private_networks=allow_private_networks
        )
    if data.format is not None:
        if data.format not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
        webhook.format = data.format
    if data.active is not None:
        webhook.active = data.active
    await session.flush()
    return webhook


async def delete_webhook(session: AsyncSession, *, webhook_id: int) -> None:
    await session.delete(await get_webhook(session, webhook_id=webhook_id))
    await session.flush()


async def list_deliveries(
    session: AsyncSession, *, webhook_id: int, limit: int
) -> Sequence[WebhookDelivery]:
    """The webhook's deliveries, newest first, with every attempt in ``log``."""
    await get_webhook(session, webhook_id=webhook_id)
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return rows.all()


# --- delivery ---------------------------------------------------------------------------------


def build_client(config: FeedConfig) -> httpx.AsyncClient:
    """An HTTP client whose connections pass the crawler's public-address guard."""
    import httpx

    from app.crawlers.transport import GuardedBackend, GuardedTransport

    return httpx.AsyncClient(
        timeout=httpx.Timeout(config.webhook_timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=GuardedTransport(
            GuardedBackend(allow_private=config.allow_private_networks), max_connections=20
        ),
        trust_env=False,
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    url: str
    secret: str
    key: str
    payload: dict[str, object]
    attempts: int


async def _claim(database: Database, *, now: datetime, lease: float, limit: int) -> list[_Claimed]:
    async with database.writer.begin() as session:
        query = (
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                Webhook.active,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        query = skip_locked(session, query, of=WebhookDelivery)
        rows = (await session.execute(query)).all()
        claimed = [
            _Claimed(d.id, w.url, w.secret, d.idempotency_key, dict(d.payload), d.attempts)
            for d, w in rows
        ]
        if claimed:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([c.id for c in claimed]))
                .values(next_attempt_at=now + timedelta(seconds=lease))
            )
    return claimed


async def _send(
    client: httpx.AsyncClient, item: _Claimed, *, now: datetime, time_limit: float
) -> tuple[int | None, str | None, float | None, int]:
    """POST one delivery: (status, error, Retry-After seconds, elapsed ms).

    `time_limit` bounds the whole exchange (a receiver dripping a byte every few seconds never
    trips a per-read timeout); at most MAX_RESPONSE_BYTES of the answer are read.
    """
    body = encode_body(item.payload)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, secret=item.secret.encode(), timestamp=int(now.timestamp())),
        IDEMPOTENCY_HEADER: item.key,
    }
    started = time.perf_counter()
    try:
        async with asyncio.timeout(time_limit):
            async with client.stream("POST", item.url, content=body, headers=headers) as response:
                status, answer = response.status_code, await _read_some(response)
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                success = response.is_success
    except TimeoutError:
        elapsed = int((time.perf_counter() - started) * 1000)
        return None, f"no complete answer within {time_limit:g} s (total limit)", None, elapsed
    except Exception as exc:  # the job boundary: any failure is a recorded, retried attempt
        elapsed = int((time.perf_counter() - started) * 1000)
        return None, f"{type(exc).__name__}: {exc}"[:500], None, elapsed
    elapsed = int((time.perf_counter() - started) * 1000)
    text = answer.decode("utf-8", errors="replace")[:200]
    return status, None if success else f"HTTP {status}: {text}", retry_after, elapsed


async def _read_some(response: httpx.Response) -> bytes:
    """The first MAX_RESPONSE_BYTES of the answer; the rest is never read (the connection is
    closed with the stream)."""
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)[:MAX_RESPONSE_BYTES]


async def deliver_due(
    database: Database,
    *,
    client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
    config: FeedConfig | None = None,
    limit: int = 50,
) -> int:
    """Send due deliveries once each; returns how many were attempted. Without a `client`,
    one is built (`build_client`) when something is due, and closed after."""
    config = config or FeedConfig()
    now = now or utcnow()
    claimed = await _claim(database, now=now, lease=config.webhook_timeout * 2 + 30, limit=limit)
    if not claimed:
        return 0
    if client is None:
        async with build_client(config) as built:
            return await _send_all(database, built, claimed, now=now, config=config)
    return await _send_all(database, client, claimed, now=now, config=config)


async def _send_all(
    database: Database,
    client: httpx.AsyncClient,
    claimed: list[_Claimed],
    *,
    now: datetime,
    config: FeedConfig,
) -> int:
    semaphore = asyncio.Semaphore(DELIVERY_CONCURRENCY)

    async def one(item: _Claimed) -> None:
        async with semaphore:
            try:
                await _deliver(database, client, item, now=now, config=config)
            except Exception:  # one receiver (or its record) never stops the others
                logger.exception("webhook delivery crashed", extra={"delivery_id": item.id})

    await asyncio.gather(*(one(item) for item in claimed))
    return len(claimed)


async def _deliver(
    database: Database,
    client: httpx.AsyncClient,
    item: _Claimed,
    *,
    now: datetime,
    config: FeedConfig,
) -> None:
    status, error, retry_after, elapsed = await _send(
        client, item, now=now, time_limit=config.webhook_timeout
    )
    attempt = item.attempts + 1
    values: dict[str, object] = {
        "attempts": attempt,
        "response_code": status,
        "last_error": error,
    }
    if error is None:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    else:
        delay = (
            retry_delay(attempt, key=item.key, policy=config.retry, retry_after=retry_after)
            if should_retry(status)
            else None
        )
        if delay is None:
            values["status"] = DeliveryStatus.FAILED
        else:
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        logger.warning(
            "webhook delivery failed",
            extra={"delivery_id": item.id, "url": item.url, "status": status, "error": error},
        )
    entry = {
        "attempt": attempt,
        "at": now.isoformat(),
        "status": status,
        "error": error,
        "duration_ms": elapsed,
    }
    async with database.writer.begin() as session:
        row = await session.get(WebhookDelivery, item.id)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        row.log = [*(row.log or []), entry]
