"""`waiting` sees every stage's work, and where it sees none the full run does nothing.

The check `pantau crawl --once` makes before it imports the pipeline (pipeline/idle.py) may
be broader than a stage's claim, never narrower: each case gives one stage work and expects
its name; each quiet case (rows that no stage claims) also runs the whole cycle and the feed
jobs, as the command does, and expects them to have done nothing.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.models import (
    AlertRule,
    Article,
    Change,
    EntityJob,
    FetchAttempt,
    RematchJob,
    StoryGroup,
    WatchedEntity,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from app.pipeline.idle import QUESTIONS, target, waiting_for
from app.pipeline.scheduler import build_crawler
from app.services.feed_jobs import run_feed_jobs
from tests.factories import link, make_article, make_claim, make_issue, make_source, make_watchlist

Setup = Callable[[AsyncSession, datetime], Awaitable[object]]
HOUR = timedelta(hours=1)


async def ask(settings: Settings, now: datetime | None = None) -> list[str] | None:
    """`waiting` as the command calls it: with no event loop running (a thread here)."""
    return await asyncio.to_thread(waiting_for, settings, now=now)


def settings_for(db: Database, **overrides: object) -> Settings:
    return Settings(database_url=db.url, cpu_workers=0, starter_sources=None, **overrides)


async def settled(session: AsyncSession, now: datetime, **overrides: object) -> Article:
    """An article every stage is done with."""
    group = StoryGroup(title="Berita")
    session.add(group)
    await session.flush()
    done = {"scored_at": now, "matched_at": now, "grouped_at": now, "claims_checked_at": now}
    return await make_article(session, story_group_id=group.id, **{**done, **overrides})


async def webhook(session: AsyncSession) -> Webhook:
    hook = Webhook(name="ops", url="http://127.0.0.1:9/hook", secret="x" * 32)
    session.add(hook)
    await session.flush()
    return hook


async def rule(session: AsyncSession, *, active: bool) -> None:
    hook = await webhook(session)
    session.add(AlertRule(name="r", kind="new_issue", webhook_id=hook.id, active=active))


async def delivery(session: AsyncSession, *, at: datetime) -> None:
    hook = await webhook(session)
    session.add(
        WebhookDelivery(
            webhook_id=hook.id,
            idempotency_key="k",
            subject="s",
            reason="r",
            payload={},
            next_attempt_at=at,
        )
    )


async def watched(session: AsyncSession, now: datetime, *, active: bool, age: timedelta) -> None:
    watchlist = await make_watchlist(session, active=active)
    article = await settled(session, now, published_at=now - age)
    issue = await make_issue(session, last_seen_at=now - 3 * HOUR, first_seen_at=now - 3 * HOUR)
    await link(session, issue=issue, article=article, watchlists=(watchlist,))


async def entity_job(session: AsyncSession, state: str) -> None:
    entity = WatchedEntity(name="KPK", aliases=[])
    session.add(entity)
    await session.flush()
    session.add(EntityJob(entity_id=entity.id, state=state))


async def rematch_job(session: AsyncSession, state: str) -> None:
    watchlist = await make_watchlist(session, active=False)
    session.add(RematchJob(watchlist_id=watchlist.id, state=state))


async def old_attempt(session: AsyncSession, now: datetime) -> None:
    source = await make_source(session, next_check_at=now + HOUR)
    session.add(FetchAttempt(source_id=source.id, started_at=now - timedelta(days=31), status="ok"))


async def old_changes(session: AsyncSession, now: datetime, *, superseded: bool) -> None:
    await session.execute(text("DELETE FROM changes"))
    old = now - timedelta(days=40)
    rows = [{"entity": "article", "entity_id": 1, "kind": "upsert", "txid": 1, "changed_at": old}]
    if superseded:
        rows.append({**rows[0], "txid": 2})
    await session.execute(insert(Change), rows)


BUSY: dict[str, Setup] = {
    "crawl": lambda s, now: make_source(s, next_check_at=now - HOUR),
    "page": lambda s, now: make_article(s, text_state="pending"),
    "score": lambda s, now: make_article(s),
    "story": lambda s, now: make_article(s, scored_at=now, matched_at=now, grouped_at=now),
    "match": lambda s, now: settled(s, now, matched_at=None, grouped_at=None),
    "cluster": lambda s, now: settled(s, now, grouped_at=None),
    "claim": lambda s, now: make_claim(s, published_at=now, fetched_at=now),
    "claim check": lambda s, now: settled(s, now, claims_checked_at=None),
    "entity job": lambda s, now: entity_job(s, "running"),
    "rematch job": lambda s, now: rematch_job(s, "pending"),
    "watchlist spike": lambda s, now: watched(s, now, active=True, age=3 * HOUR),
    "issue spike": lambda s, now: make_issue(s, last_seen_at=now - HOUR),
    "alert": lambda s, now: rule(s, active=True),
    "webhook": lambda s, now: delivery(s, at=now - HOUR),
    "retention": lambda s, now: old_attempt(s, now),
    "change retention": lambda s, now: old_changes(s, now, superseded=True),
}


async def quiet_sources(session: AsyncSession, now: datetime) -> None:
    await make_source(session, next_check_at=now + HOUR)
    await make_source(session, next_check_at=now - HOUR, enabled=False)
    await make_source(session, next_check_at=now - HOUR, claimed_until=now + HOUR)


async def quiet_feed(session: AsyncSession, now: datetime) -> None:
    await watched(session, now, active=True, age=timedelta(days=40))  # out of the spike window
    await watched(session, now, active=False, age=HOUR)
    await rule(session, active=False)
    await delivery(session, at=now + HOUR)
    await entity_job(session, "done")
    await rematch_job(session, "cancelled")
    await old_changes(session, now, superseded=False)


QUIET: dict[str, Setup] = {
    "empty": lambda s, now: s.execute(text("SELECT 1")),
    "sources not due, disabled or leased": quiet_sources,
    "settled articles, a deleted unscored one": lambda s, now: _articles(s, now),
    "the feed's jobs with nothing to do": quiet_feed,
}


async def _articles(session: AsyncSession, now: datetime) -> None:
    await settled(session, now)
    await make_article(session, deleted_at=now, text_state="pending")
    await settled(session, now, text_state="pending", text_claimed_until=now + HOUR)


async def _prepare(db: Database, setup: Setup) -> datetime:
    async with db.writer.begin() as session:
        await make_source(session, next_check_at=utcnow() + HOUR)  # retention's attempt's source
    now = utcnow()
    async with db.writer.begin() as session:
        await setup(session, now)
    return now


@pytest.mark.parametrize("stage", BUSY)
async def test_each_stage_with_work_is_seen(db: Database, stage: str) -> None:
    now = await _prepare(db, BUSY[stage])
    assert stage in (await ask(settings_for(db), now) or [])


@pytest.mark.parametrize("case", QUIET)
async def test_where_nothing_is_seen_the_full_run_does_nothing(db: Database, case: str) -> None:
    now = await _prepare(db, QUIET[case])
    settings = settings_for(db)
    assert await ask(settings, now) == []

    async with db.sessionmaker() as session:
        changes = await session.scalar(select(func.count()).select_from(Change))
    crawler = build_crawler(settings, db)
    try:
        summary = await crawler.run_once()
    finally:
        await crawler.aclose()
    tick = await run_feed_jobs(db, config=crawler.feed, scorer=crawler.scorer_source())
    assert (summary.outcomes, summary.pages, summary.scored, summary.grouped) == ([], 0, 0, 0)
    assert (summary.stories, summary.claim_matches) == (0, 0)
    assert tick.__class__() == tick  # no step of the feed jobs did anything
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Change)) == changes


async def test_a_scheduled_report_is_left_to_the_full_run(db: Database) -> None:
    settings = settings_for(
        db, report_webhook_url="https://example.id/hook", report_webhook_secret="s" * 16
    )
    assert await ask(settings) is None


async def test_a_schema_not_at_the_newest_migration_is_left_to_the_full_run(
    db: Database,
) -> None:
    async with db.writer.begin() as session:
        (version,) = (await session.execute(text("SELECT version_num FROM alembic_version"))).one()
        await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        assert await ask(settings_for(db)) is None
    finally:
        async with db.writer.begin() as session:
            await session.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": version}
            )


@pytest.mark.parametrize(
    ("url", "connect"),
    [
        ("sqlite+aiosqlite:///./data/pantau.db", {"database": "./data/pantau.db"}),
        ("sqlite+aiosqlite:////srv/p.db", {"database": "/srv/p.db"}),
        (
            "postgresql+asyncpg://u%40x:p%2Fw@db.local:6543/pantau",
            {
                "user": "u@x",
                "password": "p/w",
                "host": "db.local",
                "port": 6543,
                "database": "pantau",
            },
        ),
        ("postgresql+asyncpg://db.local/pantau?ssl=require", None),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+pysqlite:///p.db", None),
        ("mysql+aiomysql://u@h/d", None),
    ],
)
def test_urls_the_driver_reads_alone(url: str, connect: dict[str, object] | None) -> None:
    found = target(url)
    assert (found.connect if found else None) == connect


# What the command runs, as named in its source, and the questions that stand for each: a stage
# or feed job added without its question in pipeline/idle.py fails here.
ANSWERED = {
    "CrawlStage": ("crawl",),
    "PageStage": ("page",),
    "StoryStage": ("story",),
    "ScoreStage": ("score",),
    "MatchStage": ("match",),
    "ClusterStage": ("cluster",),
    "ClaimStage": ("claim", "claim check"),
    "entity_jobs.run_entity_jobs": ("entity job",),
    "watchlists.run_rematch_jobs": ("rematch job",),
    "spikes.detect_spikes": ("watchlist spike", "issue spike"),
    "alerts.evaluate_alerts": ("alert",),
    "report_jobs.queue_due_reports": (),  # left to the full run whenever a report is configured
    "webhooks.deliver_due": ("webhook",),
    "retention.prune": ("retention", "change retention"),
}


def _called(path: Path, functions: set[str] | None = None) -> set[str]:
    """Stage classes built, and `module.function`s called, in these functions of a file (in all
    of them by default)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            functions is None or node.name in functions
        ):
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                if isinstance(call.func, ast.Name) and call.func.id.endswith("Stage"):
                    found.add(call.func.id)
                elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
                    found.add(f"{call.func.value.id}.{call.func.attr}")
    return found


def test_every_stage_and_feed_job_has_its_question() -> None:
    app = Path(__file__).resolve().parents[2] / "app"
    cycle = _called(app / "pipeline" / "cycle.py")  # the crawler's every method
    feed = _called(app / "services" / "feed_jobs.py", {"run_feed_jobs"})
    stages = {name for name in cycle if name.endswith("Stage")}
    tree = ast.parse((app / "services" / "feed_jobs.py").read_text(encoding="utf-8"))
    services = {  # the service modules feed_jobs imports: each call into one is a job
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "app.services"
        for alias in node.names
    }
    jobs = {name for name in feed if name.split(".")[0] in services}
    assert stages | jobs == set(ANSWERED)
    assert {q for questions in ANSWERED.values() for q in questions} == set(QUESTIONS)
