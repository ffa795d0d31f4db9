"""Request ids that follow every log line, and the Prometheus metrics the API exposes."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


_installed = False


def install_request_id_logging() -> None:
    """Stamp `request_id` on every log record created while a request is served.

    A record factory (not a handler filter) so that every handler sees it, whoever set up
    logging; idempotent.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class Metrics:
    """One registry per application (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "pantau_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["route", "method", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "pantau_http_rate_limited_total",
            "Requests refused with 429.",
            registry=self.registry,
        )
        self.sources = Gauge(
            "pantau_sources",
            "Sources by the outcome of their latest crawl (ok, not_modified, unchanged, error, "
            "never) and whether they are enabled.",
            ["status", "enabled"],
            registry=self.registry,
        )
        self.fetches = Gauge(
            "pantau_fetch_attempts_last_hour",
            "Crawl attempts in the past hour by outcome.",
            ["status"],
            registry=self.registry,
        )
        self.queue = Gauge(
            "pantau_queue_depth",
            "Articles waiting for a pipeline stage (score, group, extract).",
            ["stage"],
            registry=self.registry,
        )
        self.scored = Gauge(
            "pantau_articles_scored",
            "Articles scored in the trailing window (scoring throughput).",
            ["window"],
            registry=self.registry,
        )
