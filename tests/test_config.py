"""Settings: the database URL is a secret, and components' defaults are Settings' defaults."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import pytest

from app.config import Settings, default
from app.crawlers.fetch import FetchOptions
from app.pipeline.cycle import Crawler
from app.plainenv import DEFAULT_RETENTION_DAYS, plain_database_url

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


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No PANTAU_ variable at all (the suite's own included) and no `.env` in the directory."""
    for name in list(os.environ):
        if name.lower().startswith("pantau_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize("value", [None, "postgres://u:p@h/d", "sqlite:////srv/p.db"])
def test_a_plain_environment_is_read_without_pydantic_as_settings_read_it(
    bare_environment: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is not None:
        bare_environment.setenv("pantau_database_url", value)  # names are case-insensitive
    assert plain_database_url() == Settings().database
    assert Settings().retention_days == DEFAULT_RETENTION_DAYS


@pytest.mark.parametrize(
    "environment",
    [
        {"PANTAU_DATABASE_URL": "sqlite:///p.db", "PANTAU_PORT": "abc"},  # another setting
        {"PANTAU_LOG_JSON": "false"},
        {"PANTAU_SHARED_DIR": "/srv/shared"},  # not a setting, yet not looked into
        {"PANTAU_DATABASE_URL": "sqlite:///a.db", "pantau_database_url": "sqlite:///b.db"},
        {"PANTAU_DATABASE_URL": "not a url"},  # Settings rejects it: the full run reports it
    ],
)
def test_anything_more_than_the_database_url_is_left_to_settings(
    bare_environment: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        bare_environment.setenv(name, value)
    assert plain_database_url() is None


def test_a_dotenv_file_is_left_to_settings(bare_environment: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("PANTAU_PORT=8001\n", encoding="utf-8")
    assert plain_database_url() is None
