"""Settings: the database URL is a secret, and components' defaults are Settings' defaults."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from app.config import Settings, default
from app.crawlers.fetch import FetchOptions
from app.pipeline.cycle import Crawler

URL = "postgresql://pantau:hunter2@db.internal:5432/pantau"


def test_database_url_is_secret_in_repr_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url=URL)
    assert settings.database == "postgresql+asyncpg://pantau:hunter2@db.internal:5432/pantau"
    logging.getLogger("test").warning("settings %s", settings)
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert "hunter2" not in caplog.text and "hunter2" not in settings.model_dump_json()


def test_database_url_from_the_environment_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_DATABASE_URL", "postgres://u:p@h/d")
    assert Settings().database == "postgresql+asyncpg://u:p@h/d"


def test_components_default_to_the_settings_defaults() -> None:
    options = FetchOptions()
    assert options.per_host_concurrency == default("per_host_concurrency") == 2
    assert options.per_host_min_interval_ms == default("per_host_min_interval_ms") == 500
    assert options.global_concurrency == default("fetch_concurrency")
    assert options.user_agent == default("user_agent")
    fields = {f.name: f.default for f in dataclasses.fields(Crawler)}
    assert fields["batch_size"] == default("crawl_batch_size") == 200
    assert fields["concurrency"] == default("crawl_concurrency")


def test_encoder_threads_one_per_service_process_every_core_for_one_process_work() -> None:
    assert Settings().encoder_threads_for(one_process=False) == 1
    assert Settings().encoder_threads_for(one_process=True) >= 1
    assert Settings(encoder_threads=3).encoder_threads_for(one_process=True) == 3


def test_a_report_receiver_needs_a_signing_secret_of_16_characters() -> None:
    url = "https://hooks.example.go.id/laporan"
    with pytest.raises(ValueError, match="PANTAU_REPORT_WEBHOOK_SECRET"):
        Settings(report_webhook_url=url)
    with pytest.raises(ValueError, match="at least 16"):
        Settings(report_webhook_url=url, report_webhook_secret="pendek")
    settings = Settings(report_webhook_url=url, report_webhook_secret="x" * 16)
    assert "x" * 16 not in repr(settings)
