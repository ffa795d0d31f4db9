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
from typing import Any

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
        await expect(page.get_by_role("navigation", name="Halaman isu")).to_be_hidden()
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


FOCUS_STATE = """() => {
  const e = document.activeElement, s = getComputedStyle(e), box = e.getBoundingClientRect();
  return { tag: e.tagName, id: e.id, text: (e.textContent || '').trim().slice(0, 40),
    ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    seen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 };
}"""
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
    && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 80))"""


async def tab_to(page: Any, selector: str, *, most: int = 80) -> list[dict[str, Any]]:
    """Press Tab until `selector` has the focus; every stop on the way is returned."""
    stops = []
    for _ in range(most):
        await page.keyboard.press("Tab")
        stops.append(await page.evaluate(FOCUS_STATE))
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return stops
    raise AssertionError(f"{selector} is not reachable by Tab: {stops}")


def no_hidden_focus(stops: list[dict[str, Any]]) -> None:
    hidden = [s for s in stops if not (s["ring"] and s["seen"])]
    assert not hidden, hidden


async def test_keyboard_only_sign_in_open_an_issue_and_triage(
    served: str, db: Database, backend: str
) -> None:
    from playwright.async_api import async_playwright, expect

    issue_id, _ = await seed(db)
    async with db.writer.begin() as session:
        _key, secret = await make_key(session, Role.ANALYST)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page()
        await page.goto(served + "/")
        stops = await tab_to(page, "#key")
        assert stops[0]["text"] == "Lompat ke konten"  # the skip link comes first, and shows
        no_hidden_focus(stops)
        assert await page.evaluate(UNLABELLED) == []
        await page.keyboard.type(secret)
        await page.keyboard.press("Enter")

        link = f'a[href="/issues/{issue_id}"]'
        await expect(page.locator(link)).to_be_visible()
        stops = await tab_to(page, link)
        no_hidden_focus(stops)
        assert any(s["text"] == "Kunci API" for s in stops) is False  # an analyst has no keys
        await page.keyboard.press("Enter")

        await expect(page.locator("#triage-status")).to_be_visible()
        no_hidden_focus(await tab_to(page, "#triage-status"))
        await page.keyboard.press("ArrowDown")  # new -> monitoring -> escalated
        await page.keyboard.press("ArrowDown")
        assert await page.locator("#triage-status").input_value() == "escalated"
        no_hidden_focus(await tab_to(page, "#triage-comment"))
        await page.keyboard.type("Menteri dikutip")
        no_hidden_focus(await tab_to(page, "#triage button[type=submit]"))
        await page.keyboard.press("Enter")
        await expect(page.locator(".comments")).to_contain_text("Menteri dikutip")
        await expect(page.locator("#triage-status")).to_have_value("escalated")
        assert await page.evaluate(UNLABELLED) == []
        await page.screenshot(path=SCREENS / f"keyboard-{backend}.png", full_page=True)
        await browser.close()


async def test_every_view_labels_its_controls_and_names_its_links(
    served: str, db: Database
) -> None:
    from playwright.async_api import async_playwright, expect

    issue_id, _ = await seed(db)
    async with db.writer.begin() as session:
        _key, secret = await make_key(session, Role.ADMIN)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page()
        await page.goto(served + "/login")
        await page.get_by_label("Kunci API").fill(secret)
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.locator(f'tr[data-issue-id="{issue_id}"]')).to_be_visible()
        views = ["/", f"/issues/{issue_id}", "/watchlists", "/entities", "/sources", "/alerts"]
        for path in [*views, "/keys", "/charts", "/responses", "/reports"]:
            await page.goto(served + path)
            await page.wait_for_load_state("networkidle")
            assert await page.evaluate(UNLABELLED) == [], path
            nav = page.get_by_role("navigation", name="Ruang Krisis Pantau")
            await expect(nav.get_by_role("link", name="Kunci API")).to_be_visible()
            unnamed = await page.evaluate(
                "() => [...document.querySelectorAll('a, button')]"
                ".filter(e => !(e.textContent || e.getAttribute('aria-label') || '').trim())"
                ".map(e => e.outerHTML.slice(0, 80))"
            )
            assert unnamed == [], path
        await browser.close()
