"""The `pantau` command."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer

from app.config import Settings, get_settings
from app.db import Database
from app.errors import AppError
from app.migrate import ROOT, current_revision, head_revision, upgrade
from app.models import FetchStatus, Role, SourceKind
from app.scoring.cli import score_app
from app.services import api_keys, sources

if TYPE_CHECKING:
    from app.scoring import Scorer

T = TypeVar("T")
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File (default: stdout).")
]

app = typer.Typer(
    help="Pantau: media monitoring for PR issue and crisis teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sources_app = typer.Typer(help="Register, import and export news sources.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(keys_app, name="keys")
app.add_typer(score_app, name="scoring", help="Train and inspect the negative-tendency scorer.")


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def run(main: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async command, turning expected failures into a one-line reason and exit 1."""

    @wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return asyncio.run(main(*args, **kwargs))
        except (AppError, OSError, ValueError) as exc:  # ParseError is a ValueError
            reason = exc.detail if isinstance(exc, AppError) else str(exc)
            typer.echo(
                f"error: {reason.splitlines()[0] if reason else type(exc).__name__}", err=True
            )
            raise typer.Exit(1) from None

    return wrapper


async def with_database(
    settings: Settings, job: Callable[[Database], Awaitable[T]], *, migrated: bool = True
) -> T:
    """Run ``job`` on the configured database; unless ``migrated`` is off, the schema must be at
    the newest migration (commands other than ``migrate`` and ``serve`` never change it)."""
    database = Database(settings.database)
    try:
        if migrated:
            await _require_schema(database, settings)
        return await job(database)
    finally:
        await database.dispose()


async def _require_schema(database: Database, settings: Settings) -> None:
    current, head = await current_revision(database.engine), head_revision()
    if current != head:
        state = f"at revision {current}" if current else "not set up"
        raise ValueError(
            f"the database ({_safe_url(settings.database)}) is {state}, not at the newest "
            f"migration {head}: run `pantau migrate` (or `pantau serve`, which migrates) first"
        )


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""

    @run
    async def main() -> None:
        settings = get_settings()
        await with_database(settings, lambda db: upgrade(db.engine), migrated=False)
        typer.echo(f"database at head ({_safe_url(settings.database)})")

    main()


DEV_KEY_FILE = Path("data/admin-key.txt")


async def prepare(
    database: Database, settings: Settings, *, kept: str | None = None
) -> tuple[str | None, bool]:
    """First-start work: migrate, create the admin key, load the starter sources. Answers the
    key to sign in with when it can be shown (new, or the `kept` one still active) and whether
    it is new."""
    await upgrade(database.engine)
    shown: str | None = None
    new = False
    async with database.writer.begin() as session:
        if await api_keys.count_admin_keys(session) == 0:
            _key, secret = await api_keys.create_key(session, role=Role.ADMIN, name="first admin")
            typer.echo("=" * 72)
            typer.echo("Created the first admin API key. It is shown only this once:")
            typer.echo(f"    {secret}")
            typer.echo("=" * 72)
            shown, new = secret, True
        elif kept:
            try:
                await api_keys.authenticate(session, secret=kept)
                shown = kept
            except AppError:
                shown = None
        starter = _starter_path(settings)
        if starter is not None and not await sources.all_sources(session):
            report = await sources.import_opml(session, body=starter.read_bytes())
            typer.echo(f"loaded {report.added} starter sources from {starter}")
    return shown, new


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (PANTAU_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Bind port (PANTAU_PORT).")] = None,
) -> None:
    """Serve the API with the scheduler running in-process."""
    import uvicorn

    from app.logs import configure_logging
    from app.main import create_app

    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    # In development the first admin key is kept in data/admin-key.txt (mode 0600) so that
    # `make run` prints the key to sign in with on every start, not only the first.
    dev = settings.environment == "development"
    kept = (
        DEV_KEY_FILE.read_text(encoding="utf-8").strip() if dev and DEV_KEY_FILE.exists() else None
    )
    key, new = run(
        lambda: with_database(settings, lambda db: prepare(db, settings, kept=kept), migrated=False)
    )()
    if dev and new and key:
        DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_KEY_FILE.touch(mode=0o600)
        DEV_KEY_FILE.write_text(key + "\n", encoding="utf-8")
    url = f"http://{host or settings.host}:{port or settings.port}/"
    typer.echo(f"serving on {url} (the crisis room; API docs at {url}docs)")
    if key:
        typer.echo(f"open {url} and sign in with the API key {key}")
    else:
        typer.echo(f"open {url} and sign in with an API key (pantau keys create --role analyst)")
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        # The middleware writes the access log (path, no query string); uvicorn's own would
        # repeat each request with its query string, where a misplaced `?api_key=` or an
        # analyst's search would land in the logs.
        access_log=False,
        # Longer than the idle expiry of common HTTP client pools (httpx: 5 s, uvicorn's own
        # default), so a poller reusing a connection never races the server closing it.
        timeout_keep_alive=20,
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run the scheduler only (crawl, score, group), without the API."""
    from app.logs import configure_logging
    from app.pipeline.scheduler import build_crawler, run_scheduler, tune_collector

    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    tune_collector()

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            crawler = build_crawler(settings, database)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            try:
                await run_scheduler(
                    crawler, tick_seconds=settings.scheduler_tick_seconds, stop=stop
                )
            finally:
                await crawler.aclose()

        await with_database(settings, job)

    main()


@app.command()
def crawl(
    once: Annotated[
        bool, typer.Option("--once", help="Poll everything due once, then exit.")
    ] = False,
) -> None:
    """Crawl due sources once (for cron). Exits 0 even when some sources failed."""
    if not once:
        fail("only --once is supported here; use 'pantau worker' for continuous crawling")
    from app.pipeline.idle import summary_line
    from app.pipeline.scheduler import build_crawler, tune_collector
    from app.services.feed_jobs import run_feed_jobs

    settings = get_settings()
    tune_collector()

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            crawler = build_crawler(settings, database)
            try:
                summary = await crawler.run_once()
            finally:
                await crawler.aclose()
            # entity re-scans, re-match, spikes, alerts
            await run_feed_jobs(database, config=crawler.feed, scorer=crawler.scorer_source())
            typer.echo(
                summary_line(
                    polled=len(summary.outcomes),
                    ok=summary.count(FetchStatus.OK),
                    unchanged=summary.count(FetchStatus.NOT_MODIFIED)
                    + summary.count(FetchStatus.UNCHANGED),
                    failed=summary.count(FetchStatus.ERROR),
                    new=summary.new_items,
                    scored=summary.scored,
                    grouped=summary.grouped,
                )
            )
            for outcome in summary.outcomes:
                if outcome.error:
                    typer.echo(f"  source {outcome.source_id}: {outcome.error}")

        await with_database(settings, job)

    main()


@app.command()
def score(
    artifact: Annotated[
        Path | None, typer.Option(help="Model artefact (default: shipped).")
    ] = None,
    rescore: Annotated[
        bool,
        typer.Option(
            "--rescore",
            help="Instead of stdin: re-score stored articles scored by another model version.",
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Articles per committed batch (--rescore).")
    ] = 500,
) -> None:
    """Score JSON lines from stdin: {"id", "text", "title"?, "targets"?} -> one line each.

    With --rescore: re-score the database's stale articles in committed batches (resumable;
    analyst labels are kept), with a progress bar on stderr.
    """
    from app.scoring import load_scorer
    from app.scoring.encoder import Encoder

    settings = get_settings()
    if rescore:
        Encoder.use_threads(settings.encoder_threads_for(one_process=False))
        _rescore(load_scorer(artifact), batch_size)
        return
    from app.scoring.stream import run_score_stream

    threads = settings.encoder_threads_for(one_process=True)
    stream = run_score_stream(sys.stdin, sys.stdout, load_scorer(artifact), encoder_threads=threads)
    raise typer.Exit(stream)


def _rescore(scorer: Scorer, batch_size: int) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from app.services import rescoring

    @run
    async def main() -> None:
        async def job(database: Database) -> int:
            async with database.sessionmaker() as session:
                stale = await rescoring.count_stale(session, model_version=scorer.model_version)
            columns = (*Progress.get_default_columns()[:2], BarColumn(), MofNCompleteColumn())
            with Progress(
                *columns, TimeRemainingColumn(), console=Console(stderr=True)
            ) as progress:
                task = progress.add_task("re-scoring", total=stale)
                return await rescoring.rescore_all(
                    database,
                    scorer=scorer,
                    batch_size=batch_size,
                    on_batch=lambda n: progress.advance(task, n),
                )

        done = await with_database(get_settings(), job)
        typer.echo(f"re-scored {done} articles with {scorer.model_version}")

    main()


@score_app.command("export-labels")
def export_labels(
    output: OutputOption = None,
) -> None:
    """Write analyst labels as JSON lines for `pantau scoring train --labels FILE`."""
    import json

    from app.services import labels

    @run
    async def main() -> None:
        async def job(database: Database) -> int:
            count = 0
            with output.open("w", encoding="utf-8") if output else _stdout() as fh:
                async with database.sessionmaker() as session:
                    async for row in labels.export_labels(session):
                        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                        count += 1
            return count

        count = await with_database(get_settings(), job)
        if output:
            typer.echo(f"exported {count} labelled articles to {output}")

    main()


def _stdout() -> contextlib.AbstractContextManager[TextIO]:
    return contextlib.nullcontext(sys.stdout)


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="Feed, sitemap, listing or article URL.")],
    kind: Annotated[SourceKind, typer.Option(help="How to read the URL.")] = SourceKind.FEED,
    name: Annotated[str | None, typer.Option(help="Display name (default: host).")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 code, e.g. id or en.")] = None,
    tier: Annotated[int, typer.Option(min=1, max=3, help="Reach: 1 national .. 3 niche.")] = 2,
    selector: Annotated[
        str | None, typer.Option(help="Listing sources: CSS selector of the article links.")
    ] = None,
) -> None:
    """Register one source."""

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            async with database.writer.begin() as session:
                source = await sources.create_source(
                    session,
                    data=sources.NewSource(
                        url=url,
                        kind=kind,
                        name=name,
                        language=language,
                        tier=tier,
                        selector=selector,
                    ),
                )
                typer.echo(f"added source {source.id}: {source.url}")

        await with_database(get_settings(), job)

    main()


@sources_app.command("backfill")
def sources_backfill(
    source_id: Annotated[int, typer.Argument(help="The source's id.")],
    since: Annotated[
        datetime,
        typer.Option(help="Walk back to this date (YYYY-MM-DD or ISO 8601; UTC if no zone)."),
    ],
    extract: Annotated[
        bool, typer.Option(help="Also fetch and extract the new articles' pages now.")
    ] = True,
) -> None:
    """Import a source's history back to a date (sitemap children, listing pages); idempotent."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.crawlers.pool import CpuPool
    from app.pipeline.backfill import Backfill
    from app.pipeline.scheduler import build_crawler

    settings = get_settings()
    horizon = since if since.tzinfo else since.replace(tzinfo=UTC)

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            crawler = build_crawler(settings, database)
            crawler.pool = CpuPool(settings.cpu_workers)
            try:
                with Progress(
                    TextColumn("[bold]backfill[/] {task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[new]} new"),
                    transient=False,
                ) as bar:
                    task = bar.add_task(f"source {source_id}", total=None, new=0)

                    def step(done: int, total: int | None, new: int) -> None:
                        bar.update(task, completed=done, total=total, new=new)

                    report = await Backfill(
                        database, crawler.fetcher, crawler.pool, horizon, on_step=step
                    ).run(source_id)
                pages = await crawler.fetch_pages() if extract else 0
            finally:
                await crawler.aclose()
                crawler.pool.shutdown()
            typer.echo(
                f"source {source_id}: {report.steps} pages read, {report.items_seen} items since"
                f" {horizon.date().isoformat()}, {report.new_items} new;"
                f" {pages} article pages fetched"
            )
            for child, reason in report.skipped:
                typer.echo(f"skipped {child}: {reason}", err=True)

        await with_database(settings, job)

    main()


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Saved HTML files.")],
    url: Annotated[
        str | None, typer.Option(help="The URL the pages were saved from (resolves links).")
    ] = None,
) -> None:
    """Run the article extractor on saved pages: one JSON line per file."""
    import json

    from app.crawlers.extract import decode_html, extract_page

    for path in paths:
        if not path.is_file():
            fail(f"{path}: no such file")
    for path in paths:
        content = extract_page(decode_html(path.read_bytes()), url=url)
        record = {
            "path": str(path),
            "title": content.title,
            "text": content.text,
            "author": content.author,
            "published": content.published.isoformat() if content.published else None,
            "language": content.language,
        }
        typer.echo(json.dumps(record, ensure_ascii=False))


@sources_app.command("import")
def sources_import(
    path: Annotated[Path, typer.Argument(help="An OPML file.")],
    detect: Annotated[
        bool,
        typer.Option(
            help="Fetch each outline without a pantauKind and detect its kind (feed, sitemap, "
            "listing); unrecognisable URLs are reported, not registered."
        ),
    ] = True,
) -> None:
    """Register every source of an OPML file (existing ones are skipped)."""
    from app.pipeline.scheduler import build_fetcher

    @run
    async def main() -> None:
        body = path.read_bytes()
        settings = get_settings()

        async def job(database: Database) -> None:
            detected = None
            if detect:  # before the transaction: none waits on the network
                async with build_fetcher(settings) as fetcher:
                    detected = await sources.detect_opml(fetcher, body=body, now=datetime.now(UTC))
            async with database.writer.begin() as session:
                report = await sources.import_opml(session, body=body, detected=detected)
            typer.echo(
                f"imported {report.added} sources, {report.existing} already present, "
                f"{len(report.invalid)} invalid"
            )
            for url, note in report.detected.items():
                typer.echo(f"  detected: {url}: {note}")
            for url, reason in report.undetected.items():
                typer.echo(f"  not detected (registered as stated): {url}: {reason}", err=True)
            for line in report.invalid:
                typer.echo(f"  invalid: {line}", err=True)

        await with_database(get_settings(), job)

    main()


@sources_app.command("export")
def sources_export(
    output: OutputOption = None,
) -> None:
    """Write all sources as OPML."""

    @run
    async def main() -> None:
        async def job(database: Database) -> bytes:
            async with database.sessionmaker() as session:
                return await sources.export_opml(session)

        body = await with_database(get_settings(), job)
        if output:
            output.write_bytes(body)
        else:
            sys.stdout.buffer.write(body)

    main()


report_app = typer.Typer(help="The monitoring report (HTML and PDF).", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _report(day: str | None, out: Path | None, fmt: str, lang: str, *, weekly: bool) -> None:
    from datetime import date

    from app.report import render_html, render_pdf
    from app.services import reports
    from app.services.timewindow import zone

    settings = get_settings()
    tz = zone(settings.report_tz)
    try:
        when = date.fromisoformat(day) if day else datetime.now(tz).date()
    except ValueError:
        fail(f"--date must be YYYY-MM-DD, not {day!r}")
        return

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            async with database.sessionmaker() as session:
                data = await reports.gather(session, day=when, weekly=weekly, tz=tz)
            body = (
                render_pdf(data, lang=lang)
                if fmt == "pdf"
                else render_html(data, lang=lang).encode()
            )
            kind = "weekly" if weekly else "daily"
            target = out or Path(f"pantau-{kind}-{when.isoformat()}.{fmt}")
            target.write_bytes(body)
            typer.echo(str(target))

        await with_database(settings, job)

    main()


@report_app.command("daily")
def report_daily(
    date: Annotated[str | None, typer.Option(help="Local day YYYY-MM-DD (default today).")] = None,
    out: Annotated[Path | None, typer.Option(help="File to write.")] = None,
    format: Annotated[str, typer.Option(help="pdf or html.")] = "pdf",
    lang: Annotated[str, typer.Option(help="id or en.")] = "id",
) -> None:
    """Write the daily report; its path is printed."""
    _report(date, out, format, lang, weekly=False)


@report_app.command("weekly")
def report_weekly(
    date: Annotated[str | None, typer.Option(help="Last local day (default today).")] = None,
    out: Annotated[Path | None, typer.Option(help="File to write.")] = None,
    format: Annotated[str, typer.Option(help="pdf or html.")] = "pdf",
    lang: Annotated[str, typer.Option(help="id or en.")] = "id",
) -> None:
    """Write the weekly report (seven days ending with --date)."""
    _report(date, out, format, lang, weekly=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="viewer, analyst or admin.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "cli",
) -> None:
    """Create an API key; the key alone is printed on the last line."""

    @run
    async def main() -> None:
        async def job(database: Database) -> None:
            async with database.writer.begin() as session:
                key, secret = await api_keys.create_key(session, role=role, name=name)
            typer.echo(
                f"created {role.value} key {key.id} ({name}); store it now, it is not shown again:"
            )
            typer.echo(secret)

        await with_database(get_settings(), job)

    main()


def _starter_path(settings: Settings) -> Path | None:
    if not settings.starter_sources:
        return None
    path = Path(settings.starter_sources)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    return path if path.exists() else None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()


if __name__ == "__main__":  # `python -m app.cli` too, as `python -m app`
    main()
