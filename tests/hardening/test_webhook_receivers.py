"""Hostile webhook receivers cannot hold a tick, fill memory or stop other deliveries; private
webhook URLs are refused at creation (both backends, real loopback receivers)."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import DeliveryStatus, Role, Webhook, WebhookDelivery, utcnow
from app.services.feed_config import FeedConfig
from app.services.webhooks import build_client, deliver_due
from tests.routers.conftest import _key

TIME_LIMIT = 2.0
CONFIG = FeedConfig(allow_private_networks=True, webhook_timeout=TIME_LIMIT)


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        kind = self.path.strip("/")
        try:
            if kind == "drip":  # a byte every second, for a minute
                self.send_response(200)
                self.send_header("Content-Length", "60")
                self.end_headers()
                for _ in range(60):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1.0)
            elif kind == "huge":  # an endless answer: it would be 300 MB and more
                self.send_response(500)
                self.send_header("Content-Length", str(300 * 1024 * 1024))
                self.end_headers()
                block = b"y" * 65536
                for _ in range(300 * 16):
                    self.wfile.write(block)
            elif kind in ("superscript", "nines", "inf"):
                value = {"superscript": "²", "nines": "9" * 400, "inf": "inf"}[kind]
                self._answer(503, {"Retry-After": value})
            else:
                self._answer(200, {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender hung up: what it should do

    def _answer(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receivers() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


KINDS = ["drip", "huge", "superscript", "nines", "inf", "good1", "good2"]


@pytest.mark.timeout(120)
async def test_hostile_receivers_do_not_stop_the_tick_or_the_other_deliveries(
    db: Database, receivers: str
) -> None:
    async with db.writer.begin() as session:
        for kind in KINDS:
            hook = Webhook(name=kind, url=f"{receivers}/{kind}", secret="s" * 32)
            session.add(hook)
            await session.flush()
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    idempotency_key=f"key-{kind}",
                    subject="issue:1",
                    reason="test",
                    payload={"kind": kind},
                )
            )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    async with build_client(CONFIG) as client:
        attempted = await deliver_due(db, client=client, config=CONFIG, now=utcnow())
    elapsed = time.monotonic() - started
    assert attempted == len(KINDS)
    # Sent side by side, each bounded by its total limit: not 60 s of drip, nor 300 MB read.
    assert elapsed < TIME_LIMIT * 4, elapsed
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    async with db.sessionmaker() as session:
        rows = {
            d.idempotency_key.removeprefix("key-"): d
            for d in (await session.scalars(select(WebhookDelivery))).all()
        }
    assert rows["good1"].status == rows["good2"].status == DeliveryStatus.DELIVERED
    assert "total limit" in (rows["drip"].last_error or "")
    assert (rows["huge"].last_error or "").startswith("HTTP 500: yyyy")
    now = utcnow()
    for kind in ("superscript", "nines", "inf", "drip", "huge"):
        row = rows[kind]
        assert row.attempts == 1 and row.status == DeliveryStatus.PENDING, kind
        # A bounded retry: never "forever", never before now.
        assert now < row.next_attempt_at < now + timedelta(days=2), kind


@pytest.fixture
async def guarded_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=db.url, scheduler_enabled=False, environment="test", rate_limit_per_minute=0
    )
    app = create_app(settings, database=db)
    app.state.database = db
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
        yield http


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://2130706433/hook",
    ],
)
async def test_private_webhook_urls_are_refused_at_creation_and_update(
    db: Database, guarded_client: httpx.AsyncClient, url: str
) -> None:
    admin = await _key(db, Role.ADMIN)
    created = await guarded_client.post(
        "/v1/webhooks", json={"name": "x", "url": url}, headers=admin
    )
    assert created.status_code == 422, created.text
    assert "non-public address" in created.json()["detail"]
    public = await guarded_client.post(
        "/v1/webhooks", json={"name": "ok", "url": "https://93.184.216.34/hook"}, headers=admin
    )
    assert public.status_code == 201
    moved = await guarded_client.patch(
        f"/v1/webhooks/{public.json()['id']}", json={"url": url}, headers=admin
    )
    assert moved.status_code == 422
