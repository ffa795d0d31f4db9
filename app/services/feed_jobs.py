"""The issue feed's scheduled work, run once per scheduler tick after the crawl pipeline:
entity re-scans, re-match jobs, spike detection, alert evaluation, scheduled reports, webhook
delivery, retention. Each step owns its transactions; a failing step is logged and the others
still run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.db import Database
from app.models import utcnow
from app.services import alerts, entity_jobs, report_jobs, retention, spikes, watchlists, webhooks
from app.services.feed_config import FeedConfig

if TYPE_CHECKING:
    from app.scoring import Scorer

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class FeedTick:
    rematch_steps: int = 0
    entity_steps: int = 0
    spikes: int = 0
    queued: int = 0
    reports: int = 0
    delivered: int = 0
    pruned: int = 0


async def run_feed_jobs(
    database: Database,
    *,
    config: FeedConfig,
    clock: Callable[[], datetime] = utcnow,
    scorer: Scorer | Callable[[], Scorer] | None = None,
) -> FeedTick:
    """One pass of every feed job (entity re-scans only with a `scorer`, or a function that
    loads it when a re-scan is open)."""
    tick = FeedTick()
    if scorer is not None:
        try:
            tick.entity_steps = await entity_jobs.run_entity_jobs(
                database, scorer=scorer, config=config
            )
        except Exception:  # the job boundary
            logger.exception("entity re-scans failed")
    try:
        tick.rematch_steps = await watchlists.run_rematch_jobs(database, config=config)
    except Exception:  # the job boundary
        logger.exception("re-match jobs failed")
    now = clock()
    try:
        async with database.writer.begin() as session:
            tick.spikes = len(await spikes.detect_spikes(session, now=now, config=config))
        async with database.writer.begin() as session:
            tick.queued = await alerts.evaluate_alerts(session, now=now, config=config)
    except Exception:
        logger.exception("spike detection or alert evaluation failed")
    if config.report is not None:
        try:
            tick.reports = await report_jobs.queue_due_reports(
                database, schedule=config.report, now=now, public_url=config.public_url
            )
        except Exception:  # the job boundary
            logger.exception("scheduled report failed")
    try:
        tick.delivered = await webhooks.deliver_due(database, now=now, config=config)
    except Exception:
        logger.exception("webhook delivery failed")
    try:
        async with database.writer.begin() as session:
            pruned = await retention.prune(session, now=now, days=config.retention_days)
        tick.pruned = pruned.fetch_attempts + pruned.changes
    except Exception:
        logger.exception("retention failed")
    return tick
