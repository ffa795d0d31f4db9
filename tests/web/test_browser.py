"""The crisis room in a real browser: Debian's Chromium driven by Playwright, on both backends.

Outside CI a missing Chromium or Playwright skips with the reason; in CI it fails.
Screenshots go to /tmp/pantau-screens (not committed)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Role, utcnow
from tests.factories import link, make_article, make_issue, make_key, make_watchlist
from tests.web.test_crisis_room import seed

CHROMIUM = "/usr/bin/chromium"
SCREENS = Path("/tmp/pantau-screens")


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture
async def served(db: Database) -> AsyncIterator[str]:
    problem = _missing()
    if problem:
        message = f"BROWSER TESTS SKIPPED: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        etag_cache_seconds=0,
        api_key_cache_seconds=0,
        rate_limit_per_minute=0,
        poll_interval_seconds=1,
    )
    app = create_app(settings, database=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn's Server offers a flag, not an event
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_sign_in_triage_respond_and_download(served: str, db: Database, backend: str) -> None:
    from playwright.async_api import async_playwright, expect

    issue_id, _ = await seed(db)
    async with db.writer.begin() as session:
        _key, secret = await make_key(session, Role.ANALYST)
    await asyncio.to_thread(SCREENS.mkdir, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(accept_downloads=True)
        await page.goto(served + "/")
        await page.get_by_label("Kunci API").fill(secret)
        await page.get_by_role("button", name="Masuk").click()
        row = page.locator(f'tr[data-issue-id="{issue_id}"]')
        await expect(row).to_contain_text("Banjir Jakarta")
        await expect(row.locator("svg")).to_have_count(1)  # the sparkline
        await page.screenshot(path=SCREENS / f"board-{backend}.png", full_page=True)

        await row.get_by_role("link", name="Banjir Jakarta").click()
        await expect(page.locator("mark").first).to_have_text("dikritik lamban")
        await page.get_by_label("Status").select_option("escalated")
        await page.get_by_label("Komentar").fill("Menteri dikutip")
        await page.locator("#triage button").click()
        await expect(page.locator(".comments")).to_contain_text("Menteri dikutip")
        await page.get_by_label("Jenis").select_option("press_release")
        await page.get_by_label("URL").fill("https://pemprov.example.go.id/siaran-pers/1")
        await page.locator("#response-form button").click()
        await expect(page.locator(".responses")).to_contain_text("Siaran pers")
        await page.screenshot(path=SCREENS / f"issue-{backend}.png", full_page=True)

        # the board follows the API: a change written elsewhere (the database's change log
        # triggers see it, as they see the pipeline's) shows within a poll interval
        await page.goto(served + "/")
        await expect(page.locator(f'tr[data-issue-id="{issue_id}"]')).to_contain_text("Dieskalasi")
        async with db.writer.begin() as session:
            from app.models import Issue

            issue = await session.get(Issue, issue_id)
            assert issue is not None
            issue.assignee = "rina"
        await expect(page.locator(f'tr[data-issue-id="{issue_id}"]')).to_contain_text(
            "rina", timeout=10_000
        )

        await page.goto(served + "/reports")
        async with page.expect_download() as info:
            await page.locator("#report-daily-pdf").click()
        download = await info.value
        path = SCREENS / f"report-{backend}.pdf"
        await download.save_as(path)
        assert (await asyncio.to_thread(path.read_bytes)).startswith(b"%PDF")
        await browser.close()
    assert shutil.which(CHROMIUM)


async def seed_board(db: Database, count: int) -> list[int]:
    """`count` open issues the team watches, one article each; ids newest activity first."""
    now = utcnow()
    async with db.writer.begin() as session:
        watchlist = await make_watchlist(session, query="antrean")
        ids = []
        for n in range(count):
            seen = now - timedelta(minutes=n)
            issue = await make_issue(
                session, title=f"Antrean {n:03d}", first_seen_at=seen, last_seen_at=seen
            )
            issue.watchlist_ids = [watchlist.id]
            article = await make_article(session, published_at=seen)
            await link(session, issue=issue, article=article, watchlists=(watchlist,))
            ids.append(issue.id)
    return ids


async def test_the_board_pages_fifty_rows_at_a_time(served: str, db: Database) -> None:
    from playwright.async_api import async_playwright, expect

    ids = await seed_board(db, 120)
    async with db.writer.begin() as session:
        _key, secret = await make_key(session, Role.VIEWER)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page()
        await page.goto(served + "/")
        await page.get_by_label("Kunci API").fill(secret)
        await page.get_by_role("button", name="Masuk").click()
        rows = page.locator("tbody tr[data-issue-id]")
        pager = page.get_by_role("navigation", name="Halaman isu")
        following = pager.get_by_role("button", name="Berikutnya")
        previous = pager.get_by_role("button", name="Sebelumnya")

        async def shown() -> list[int]:
            return [int(i) for i in await rows.evaluate_all("r => r.map(x => x.dataset.issueId)")]

        await expect(rows).to_have_count(50)
        assert await shown() == ids[:50]
        await expect(previous).to_be_disabled()
        await expect(pager).to_contain_text("Halaman 1")
        await following.click()
        await expect(pager).to_contain_text("Halaman 2")
        await expect(rows.first).to_have_attribute("data-issue-id", str(ids[50]))
        assert await shown() == ids[50:100]
        await following.click()
        await expect(rows).to_have_count(20)
        assert await shown() == ids[100:]
        await expect(following).to_be_disabled()
        await previous.click()
        await expect(rows.first).to_have_attribute("data-issue-id", str(ids[50]))
        await expect(rows).to_have_count(50)
        await browser.close()
