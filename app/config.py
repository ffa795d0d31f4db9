"""Settings: the place that reads the environment.

Before it, start-up may read one variable (`PANTAU_DATABASE_URL`) through app/plainenv.py, and
only when the environment configures nothing else (a cron `crawl --once` with nothing due).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The URL's default and normalising are shared with the start-up's pydantic-free reader.
from app.plainenv import DEFAULT_DATABASE_URL, DEFAULT_RETENTION_DAYS, ENV_FILE, PREFIX
from app.plainenv import normalise_database_url as normalise_database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX.upper(), env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    # A secret: a PostgreSQL URL carries its password (repr, logs and errors show '**********').
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    scheduler_enabled: bool = True
    scheduler_tick_seconds: float = Field(default=15.0, gt=0)

    crawl_concurrency: int = Field(default=16, ge=1, le=512)
    # Processes for extraction and scoring: unset = one per core; 0 = in the calling process
    # (quicker for small one-off commands, which then skip starting the pool).
    cpu_workers: int | None = Field(default=None, ge=0, le=64)
    crawl_batch_size: int = Field(default=200, ge=1, le=5000)
    # Threads of the sentence encoder (English target mentions) per process; unset: one in the
    # service's processes (it scales by processes), every core in one-process commands.
    encoder_threads: int | None = Field(default=None, ge=1, le=256)
    user_agent: str = "PantauBot/0.1 (+https://pantau.id/bot; media monitoring)"
    allow_private_networks: bool = False
    fetch_connect_timeout: float = Field(default=10.0, gt=0)
    fetch_read_timeout: float = Field(default=20.0, gt=0)
    fetch_total_timeout: float = Field(default=60.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    fetch_concurrency: int = Field(default=32, ge=1, le=1024)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_min_interval_ms: int = Field(default=500, ge=0, le=60_000)
    robots_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    # A robots.txt Crawl-delay or Request-rate spaces page fetches to its host up to this cap
    # (0: ignore them).
    max_crawl_delay_seconds: float = Field(default=60.0, ge=0, le=3600)
    # Items read from one feed, sitemap or listing per poll (newest first); the rest are
    # counted on the poll's attempt row. Also the most article pages one poll can queue.
    max_items_per_feed: int = Field(default=2000, ge=1, le=100_000)
    # Articles of one source waiting for their page at most; a poll's new ones past it are
    # scored on their summary (text_error says why), so no feed can fill the page queue.
    max_pending_pages_per_source: int = Field(default=2000, ge=1, le=1_000_000)
    # Wall-clock limit on parsing one fetched body (feed, sitemap, listing, page) in the CPU
    # pool; past it the worker process is killed and replaced, and the source records why.
    parse_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A page whose host's next turn is further away than this goes back to the queue until then.
    page_max_host_wait_seconds: float = Field(default=5.0, ge=0, le=3600)

    poll_min_seconds: int = Field(default=300, ge=10)
    # "Poll now" (POST /v1/sources/{id}/poll) fetches a source at most this often.
    poll_now_min_seconds: int = Field(default=60, ge=0)
    poll_max_seconds: int = Field(default=6 * 3600, ge=60)
    starter_sources: str | None = "sources/indonesia.opml"
    # API conventions (see README, "Configuration")
    poll_interval_seconds: int = Field(default=30, ge=1, le=3600)
    etag_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    api_key_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    # Per process: list pages kept by URL and ETag, so an unchanged collection's page is
    # served again without its query (0 turns it off).
    response_cache_bytes: int = Field(default=32_000_000, ge=0)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=120, ge=1)
    # Failed API-key attempts per client address (each costs a key lookup): past the burst, a
    # 429 answers without looking (0: no limit).
    invalid_key_per_minute: int = Field(default=30, ge=0)
    invalid_key_burst: int = Field(default=20, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    metrics_public: bool = False
    # The crisis room (/): how long a sign-in lasts; `Secure` cookies when served over HTTPS
    # (on by default in production).
    web_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    web_cookie_secure: bool | None = None
    # The daily report: time zone, and where a scheduled report is delivered (JSON with the
    # HTML inline and links to the PDF) through the webhook outbox, signed with the secret;
    # unset = no scheduled delivery. Daily at report_hour local time (the day before); weekly
    # on report_weekday (0 = Monday) at the same hour (the seven days before).
    report_tz: str = "Asia/Jakarta"
    report_webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    report_webhook_secret: SecretStr | None = None
    report_hour: int = Field(default=7, ge=0, le=23)
    report_weekday: int = Field(default=0, ge=0, le=6)
    report_weekly: bool = True
    report_lang: Literal["id", "en"] = "id"

    # The issue feed (see README, "Issue feed")
    cluster_threshold: float = Field(default=0.25, gt=0, lt=1)
    cluster_window_hours: float = Field(default=72.0, gt=0, le=24 * 30)
    reopen_severity_margin: float = Field(default=20.0, ge=0, le=100)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Where analysts reach this API (e.g. https://pantau.example.go.id): alerts link to it.
    public_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    # Where a watchlist's search sources search (PUT /v1/watchlists/{id}/search-sources): the
    # services' public endpoints, or a mirror/proxy an operator runs in front of them.
    search_google_news_url: str = Field(
        default="https://news.google.com", max_length=500, pattern=r"^https?://\S+$"
    )
    search_reddit_url: str = Field(
        default="https://www.reddit.com", max_length=500, pattern=r"^https?://\S+$"
    )
    search_bluesky_url: str = Field(
        default="https://public.api.bsky.app", max_length=500, pattern=r"^https?://\S+$"
    )
    # Fetch attempts and superseded change-log rows older than this are deleted.
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1, le=3650)

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url", mode="before")
    @classmethod
    def _normalise_url(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return normalise_database_url(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _report_secret(self) -> Settings:
        # The receiver checks the signature: a guessable or missing secret makes it worthless.
        secret = self.report_webhook_secret
        if self.report_webhook_url and len(secret.get_secret_value() if secret else "") < 16:
            raise ValueError(
                "PANTAU_REPORT_WEBHOOK_URL needs PANTAU_REPORT_WEBHOOK_SECRET "
                "(at least 16 characters) to sign the deliveries"
            )
        return self

    @property
    def database(self) -> str:
        """The database URL itself, for the engine (keep it out of logs: `database_url`)."""
        return self.database_url.get_secret_value()

    def encoder_threads_for(self, *, one_process: bool) -> int:
        """The encoder's threads: the setting, else every core for one-process work
        (`pantau score`, training), else one."""
        if self.encoder_threads is not None:
            return self.encoder_threads
        return (os.cpu_count() or 1) if one_process else 1


def default(name: str) -> Any:
    """A setting's default, without reading the environment: a component that takes the value
    as an argument uses this as its own default, so the two never disagree."""
    return Settings.model_fields[name].get_default(call_default_factory=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
