"""The issue feed's tunables, gathered in one value the stages and jobs receive.

Built from Settings by ``app.pipeline.scheduler`` (``from_settings``); tests build it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.feed.alerts import RetryPolicy
from app.feed.clustering import ClusterConfig
from app.feed.severity import SeverityConfig
from app.report.schedule import ReportSchedule


@dataclass(frozen=True, slots=True)
class FeedConfig:
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    severity: SeverityConfig = field(default_factory=SeverityConfig)
    # A dismissed issue reopens when its severity reaches the severity at dismissal + this.
    reopen_margin: float = 20.0
    idf_sample: int = 3000  # newest articles the clustering IDF is fitted on
    idf_ttl_seconds: float = 600.0
    rematch_batch: int = 1000
    rematch_seconds: float = 5.0  # time budget of re-matching per scheduler tick
    entity_job_batch: int = 200  # articles re-scored per step of an entity re-scan
    webhook_timeout: float = 10.0
    allow_private_networks: bool = False  # webhook URLs pass the crawler's address guard
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    alert_window: timedelta = timedelta(hours=1)  # how far back an issue alert's window reaches
    issue_spike_min_articles: int = 5
    retention_days: int = 30  # see app.services.retention
    public_url: str | None = None  # alert links: {public_url}/v1/issues/{id}
    alert_articles: int = 3  # top articles in an alert
    report: ReportSchedule | None = None  # scheduled report delivery (app.services.report_jobs)
