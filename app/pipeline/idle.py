"""Whether a `pantau crawl --once` has anything to do, asked before the pipeline is imported.

From cron, most runs find nothing due: then the command's start-up is its whole cost, and
SQLAlchemy, the 26 mapped classes and the stages cost a second of CPU to learn that nothing
waits. `waiting` asks the database the same questions the stages' claims ask, in one read
statement through the driver alone (the standard library's sqlite3, or asyncpg), and names the
stages that have work. An empty answer means the full run would only have read empty queues:
the command prints its summary of nothing and exits. Any doubt (a URL this reader does not
understand, a schema not at the newest migration, an error) answers None, and the command runs
in full, as before; so a question here may be broader than its stage's claim, never narrower.

Each question mirrors a claim in services/ (named in the comment beside it);
tests/pipeline/test_idle.py gives every stage work and checks that it is seen.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from app.feed.spikes import DAILY, SpikeConfig
from app.migrate import head_revision

if TYPE_CHECKING:
    from app.config import Settings

# services/spikes.py looks back this far for a watchlist's series (hourly with the default
# config, and daily), and two hours for issues.
SPIKE_DAYS = max(config.baseline_days for config in (SpikeConfig(), DAILY)) + 2
ISSUE_SPIKE_HOURS = 2
CONNECT_TIMEOUT = 10.0  # seconds (asyncpg's own default is 60)

QUESTIONS: dict[str, str] = {
    # sources.claim_due_sources
    "crawl": "SELECT 1 FROM sources s WHERE s.enabled AND s.next_check_at <= :now"
    " AND (s.claimed_until IS NULL OR s.claimed_until < :now)",
    # pages.claim_pending_pages
    "page": "SELECT 1 FROM articles a WHERE a.text_state = 'pending' AND a.deleted_at IS NULL"
    " AND (a.text_claimed_until IS NULL OR a.text_claimed_until < :now)",
    # stories.assign_pending_stories (scored_only, as the cycle drains)
    "story": "SELECT 1 FROM articles a WHERE a.story_group_id IS NULL AND a.deleted_at IS NULL"
    " AND a.scored_at IS NOT NULL AND (a.text_state IS NULL OR a.text_state <> 'pending')",
    # scoring.claim_unscored_columns
    "score": "SELECT 1 FROM articles a WHERE a.scored_at IS NULL AND a.deleted_at IS NULL"
    " AND (a.text_state IS NULL OR a.text_state <> 'pending')",
    # watchlists.match_pending
    "match": "SELECT 1 FROM articles a WHERE a.scored_at IS NOT NULL AND a.matched_at IS NULL",
    # clustering._claim
    "cluster": "SELECT 1 FROM articles a WHERE a.scored_at IS NOT NULL"
    " AND a.matched_at IS NOT NULL AND a.grouped_at IS NULL",
    # claims.pending_claims, claims.pending_documents
    "claim": "SELECT 1 FROM claims c WHERE c.matched_at IS NULL",
    "claim check": "SELECT 1 FROM articles a WHERE a.claims_checked_at IS NULL"
    " AND a.scored_at IS NOT NULL",
    # entity_jobs.run_entity_jobs, watchlists.run_rematch_jobs
    "entity job": "SELECT 1 FROM entity_jobs j WHERE j.state IN ('pending', 'running')",
    "rematch job": "SELECT 1 FROM rematch_jobs j WHERE j.state IN ('pending', 'running')",
    # spikes.detect_watchlist_spikes: an active watchlist with a series to look at
    "watchlist spike": "SELECT 1 FROM watchlists w"
    " JOIN article_watchlists aw ON aw.watchlist_id = w.id JOIN articles a ON a.id = aw.article_id"
    " WHERE w.active AND a.published_at >= :spike_start AND a.published_at < :now"
    " AND a.deleted_at IS NULL",
    # spikes.detect_issue_spikes (without its article count floor: broader)
    "issue spike": "SELECT 1 FROM issues i WHERE i.merged_into_id IS NULL"
    " AND i.last_seen_at >= :issue_since",
    # alerts.evaluate_alerts: any active rule on an active webhook is evaluated
    "alert": "SELECT 1 FROM alert_rules r JOIN webhooks h ON h.id = r.webhook_id"
    " WHERE r.active AND h.active",
    # webhooks._claim
    "webhook": "SELECT 1 FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND h.active",
    # retention.prune
    "retention": "SELECT 1 FROM fetch_attempts f WHERE f.started_at < :cutoff",
    "change retention": "SELECT 1 FROM changes o WHERE o.changed_at < :cutoff AND EXISTS ("
    "SELECT 1 FROM changes n WHERE n.entity = o.entity AND n.entity_id = o.entity_id"
    " AND (n.txid > o.txid OR (n.txid = o.txid AND n.seq > o.seq)))",
}
# One statement of the constants above (no value is ever part of it: they are bound).
STATEMENT = " UNION ALL ".join(
    "SELECT '" + name + "' WHERE EXISTS (" + question + ")" for name, question in QUESTIONS.items()
)
VERSION = "SELECT version_num FROM alembic_version"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the configured database is, as the driver alone connects to it."""

    backend: str  # sqlite or postgresql
    connect: dict[str, Any]


def summary_line(
    *,
    polled: int = 0,
    ok: int = 0,
    unchanged: int = 0,
    failed: int = 0,
    new: int = 0,
    scored: int = 0,
    grouped: int = 0,
) -> str:
    """The line `crawl --once` prints when it ends (all zeros: nothing was due)."""
    return (
        f"sources: {polled} polled, {ok} ok, {unchanged} unchanged, {failed} failed; "
        f"articles: {new} new, {scored} scored, {grouped} grouped"
    )


def target(url: str) -> Target | None:
    """The driver's connection arguments for the plain URLs Pantau's engine takes (see
    `plainenv.normalise_database_url`); None for any other (query options, unknown drivers)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "?" in rest or "#" in rest:
        return None
    if scheme == "sqlite+aiosqlite":
        host, slash, database = rest.partition("/")
        if host or not slash or not database or database == ":memory:" or "%" in database:
            return None
        return Target("sqlite", {"database": database})
    if scheme == "postgresql+asyncpg":
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            return None
        return Target(
            "postgresql",
            {
                "user": unquote(parts.username) if parts.username else None,
                "password": unquote(parts.password) if parts.password else None,
                "host": parts.hostname,
                "port": port,
                "database": unquote(parts.path.lstrip("/")) or None,
            },
        )
    return None


def parameters(now: datetime, *, retention_days: int) -> dict[str, datetime]:
    return {
        "now": now,
        "spike_start": now - timedelta(days=SPIKE_DAYS),
        "issue_since": now - timedelta(hours=ISSUE_SPIKE_HOURS),
        "cutoff": now - timedelta(days=retention_days),
    }


def waiting_for(settings: Settings, *, now: datetime | None = None) -> list[str] | None:
    """`waiting` on the configured database, with the configured retention; None (unsure)
    when scheduled reports are configured: report_jobs.queue_due_reports decides those."""
    if settings.report_webhook_url and settings.report_webhook_secret is not None:
        return None
    return waiting(settings.database, retention_days=settings.retention_days, now=now)


def waiting(
    database_url: str, *, retention_days: int, now: datetime | None = None
) -> list[str] | None:
    """The stages with work waiting in the database (empty: nothing to do), with no scheduled
    report configured; None when unsure. On SQLite no event loop is started (asyncio alone is
    a tenth of the start-up)."""
    where = target(database_url)
    if where is None:
        return None
    values = parameters(now or datetime.now(UTC), retention_days=retention_days)
    try:
        if where.backend == "sqlite":
            return _sqlite(where.connect["database"], values)
        import asyncio

        return asyncio.run(_postgresql(where.connect, values))
    except Exception:  # whatever the reader does not expect, the full run meets and reports
        return None


def _sqlite(database: str, values: dict[str, datetime]) -> list[str] | None:
    # The engine's storage format for timestamps on SQLite: naive UTC (models/base.py).
    naive = {k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in values.items()}
    path = Path(database)
    # Read-write, never create: a missing file is the full run's to report.
    uri = f"file:{quote(str(path))}?mode=rw"
    connection = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        # As db._sqlite_connect on every connection (journal_mode is kept in the file).
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN")
        try:
            if not _at_head([row[0] for row in connection.execute(VERSION)]):
                return None
            return [row[0] for row in connection.execute(STATEMENT, naive)]
        finally:
            connection.execute("COMMIT")
    finally:
        connection.close()


_NAMED = re.compile(r":([a-z_]+)")


async def _postgresql(connect: dict[str, Any], values: dict[str, datetime]) -> list[str] | None:
    import asyncpg

    order: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    statement = _NAMED.sub(numbered, STATEMENT)
    # A server that does not answer is the full run's to report: this check gives up sooner.
    connection = await asyncpg.connect(**connect, timeout=CONNECT_TIMEOUT)
    try:
        async with connection.transaction(readonly=True, isolation="repeatable_read"):
            versions = [row[0] for row in await connection.fetch(VERSION)]
            if not _at_head(versions):
                return None
            rows = await connection.fetch(statement, *(values[name] for name in order))
        return [row[0] for row in rows]
    finally:
        await connection.close()


def _at_head(versions: list[str]) -> bool:
    return len(versions) == 1 and versions[0] == head_revision()
